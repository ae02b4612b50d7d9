// Command generator writes synthetic e-commerce events ("view", "purchase")
// as CSV files, landed atomically into $DATA_DIR/input.
package main

import (
	"fmt"
	"os"

	"github.com/tributary-dev/tributary/services/generator/app"
	"github.com/tributary-dev/tributary/shared/fxapp"
)

func main() {
	if err := fxapp.Main("generator", "writes synthetic e-commerce events as CSV files into $DATA_DIR/input", os.Args[1:], os.Stderr, app.Module); err != nil {
		fmt.Fprintln(os.Stderr, "generator:", err)
		os.Exit(1)
	}
}

// Command loader pulls micro-batches of landed files from NATS JetStream
// and loads them into PostgreSQL exactly once.
package main

import (
	"fmt"
	"os"

	"github.com/tributary-dev/tributary/services/loader/app"
	"github.com/tributary-dev/tributary/shared/fxapp"
)

func main() {
	if err := fxapp.Main("loader", "loads files from NATS JetStream into PostgreSQL, exactly once", os.Args[1:], os.Stderr, app.Module); err != nil {
		fmt.Fprintln(os.Stderr, "loader:", err)
		os.Exit(1)
	}
}

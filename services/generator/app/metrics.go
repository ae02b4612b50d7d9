package app

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/tributary-dev/tributary/shared/datadir"
	"github.com/tributary-dev/tributary/shared/telemetry"
)

// metrics implements generate.Observer.
type metrics struct {
	files, rows, bytes prometheus.Counter
	landSeconds        prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) *metrics {
	r := telemetry.NewMetrics(reg, "generator")
	return &metrics{
		files: r.Counter("files_written_total", "Files landed in the input directory."),
		rows:  r.Counter("rows_written_total", "Event rows in landed files."),
		bytes: r.Counter("bytes_written_total", "Bytes of landed files."),
		landSeconds: r.Histogram("file_write_duration_seconds", "Time to write, fsync and land one file.",
			prometheus.ExponentialBuckets(0.0005, 2, 14)),
	}
}

func (m *metrics) FileLanded(rows int, bytes int64, took time.Duration) {
	m.files.Inc()
	m.rows.Add(float64(rows))
	m.bytes.Add(float64(bytes))
	m.landSeconds.Observe(took.Seconds())
}

// dirsReady is the generator's readiness: it can land files only while the
// temp and input directories exist.
func dirsReady(c datadir.Config) func(context.Context) error {
	return func(context.Context) error {
		for _, sub := range []string{datadir.Temp, datadir.Input} {
			info, err := os.Stat(c.Path(sub))
			if err != nil {
				return err
			}
			if !info.IsDir() {
				return fmt.Errorf("%s is not a directory", c.Path(sub))
			}
		}
		return nil
	}
}

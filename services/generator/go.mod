module github.com/tributary-dev/tributary/services/generator

go 1.26.4

replace github.com/tributary-dev/tributary/shared => ../../shared

require (
	github.com/google/uuid v1.6.0
	github.com/schollz/progressbar/v3 v3.19.1
	github.com/tributary-dev/tributary/shared v0.0.0-00010101000000-000000000000
	go.uber.org/fx v1.24.0
	golang.org/x/term v0.48.0
)

require (
	github.com/caarlos0/env/v11 v11.4.2 // indirect
	github.com/clipperhouse/uax29/v2 v2.7.0 // indirect
	github.com/mattn/go-runewidth v0.0.30 // indirect
	github.com/mitchellh/colorstring v0.0.0-20190213212951-d06e56a500db // indirect
	github.com/rivo/uniseg v0.4.7 // indirect
	github.com/stretchr/testify v1.12.1 // indirect
	go.uber.org/dig v1.19.0 // indirect
	go.uber.org/goleak v1.3.0 // indirect
	go.uber.org/multierr v1.11.0 // indirect
	go.uber.org/zap v1.26.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
)

module github.com/tributary-dev/tributary/services/ctl

go 1.26.4

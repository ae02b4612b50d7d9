module github.com/tributary-dev/tributary/services/loader

go 1.26.4

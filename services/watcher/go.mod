module github.com/tributary-dev/tributary/services/watcher

go 1.26.4

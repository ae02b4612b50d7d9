module github.com/tributary-dev/tributary/tests

go 1.26.4

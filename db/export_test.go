package db

import "io/fs"

func FsReadDir() ([]string, error) { return fs.Glob(Migrations(), "*.sql") }

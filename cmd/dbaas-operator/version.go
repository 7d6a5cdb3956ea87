package main

// version is the operator's version, which --version prints and the start logs.
// `make image` stamps it with -ldflags "-X main.version=$(VERSION)".
var version = "dev"

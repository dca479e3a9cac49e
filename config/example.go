package config

import (
	_ "embed"
)

//go:embed dinhdanh.example.yaml
var example []byte

// Example returns the text of dinhdanh.example.yaml: every key, commented, with its default value. Loading
// it gives the same Config as Default.
func Example() []byte {
	return append([]byte(nil), example...)
}

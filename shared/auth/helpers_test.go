package auth_test

import (
	"net/url"
	"os"
	"strings"
)

func readFileF(name string) ([]byte, error) { return os.ReadFile(name) }

func parseURL(raw string) (*url.URL, error) { return url.Parse(raw) }

func equalFold(a, b string) bool { return strings.EqualFold(a, b) }

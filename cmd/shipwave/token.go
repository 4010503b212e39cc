package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/shipwave/shipwave/shared/local"
)

// The local API's token is stored per API address so that every CLI
// command finds the token of the stack it talks to:
//
//	$SHIPWAVE_STATE_DIR, else $XDG_RUNTIME_DIR/shipwave, else ~/.shipwave
//	  token-127.0.0.1_8081
//
// SHIPWAVE_TOKEN, when set, wins over the file.

// tokenDir is where local up stores API tokens.
func tokenDir() (string, error) {
	if d := os.Getenv("SHIPWAVE_STATE_DIR"); d != "" {
		return d, nil
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "shipwave"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("local API token: no SHIPWAVE_STATE_DIR, XDG_RUNTIME_DIR or home directory: %w", err)
	}
	return filepath.Join(home, ".shipwave"), nil
}

// tokenFile is the file holding the token of the API at addr.
func tokenFile(addr string) (string, error) {
	dir, err := tokenDir()
	if err != nil {
		return "", err
	}
	addr = strings.TrimPrefix(strings.TrimPrefix(addr, "http://"), "https://")
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '_'
	}, strings.TrimRight(addr, "/"))
	return filepath.Join(dir, "token-"+name), nil
}

// saveToken stores the token of the API at addr, readable by the user only.
func saveToken(addr, token string) (string, error) {
	f, err := tokenFile(addr)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(f), 0o700); err != nil {
		return "", fmt.Errorf("store local API token: %w", err)
	}
	tmp := f + ".tmp"
	if err := os.WriteFile(tmp, []byte(token+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("store local API token: %w", err)
	}
	if err := os.Rename(tmp, f); err != nil {
		return "", fmt.Errorf("store local API token: %w", err)
	}
	return f, nil
}

// removeToken deletes the stored token of addr if it is still token (a
// newer stack on the same address keeps its own).
func removeToken(addr, token string) {
	f, err := tokenFile(addr)
	if err != nil {
		return
	}
	if b, err := os.ReadFile(f); err == nil && strings.TrimSpace(string(b)) == token {
		_ = os.Remove(f)
	}
}

// loadToken returns SHIPWAVE_TOKEN or the stored token of the API at addr;
// "" when there is none (the API then answers 401 saying what it needs).
func loadToken(addr string) string {
	if t := os.Getenv("SHIPWAVE_TOKEN"); t != "" {
		return t
	}
	f, err := tokenFile(addr)
	if err != nil {
		return ""
	}
	b, err := os.ReadFile(f)
	if errors.Is(err, os.ErrNotExist) || err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// apiClient is a local API client for addr carrying its token.
func apiClient(addr string) *local.Client {
	c := local.NewClient(addr)
	c.Token = loadToken(addr)
	return c
}

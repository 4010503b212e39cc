package digest

import "testing"

func TestHex(t *testing.T) {
	tests := []struct {
		algorithm, data, want string
		ok                    bool
	}{
		{"MD5", "input data", "812f45842bc6d66ee14572ce20db8e86", true},
		{"SHA-1", "input data", "aaff4a450a104cd177d28d18d74485e8cae074b7", true},
		{"SHA-256", "input data", "b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3", true},
		{"SHA-384", "", "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b", true},
		{"SHA-512", "", "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e", true},
		{"sha-256", "x", "", false},
		{"SHA-3", "x", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.algorithm, func(t *testing.T) {
			got, ok := Hex(tt.algorithm, []byte(tt.data))
			if got != tt.want || ok != tt.ok {
				t.Errorf("Hex(%q, %q) = %q, %v; want %q, %v", tt.algorithm, tt.data, got, ok, tt.want, tt.ok)
			}
		})
	}
}

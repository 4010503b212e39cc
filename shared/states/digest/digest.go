// Package digest computes the hashes Step Functions offers to definitions
// (States.Hash in JSONPath, $hash in JSONata), by the algorithm names they
// accept.
package digest

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"hash"
)

// Hex returns the lower-case hex digest of data with the named algorithm:
// "MD5", "SHA-1", "SHA-256", "SHA-384" or "SHA-512". ok is false for any
// other name.
func Hex(algorithm string, data []byte) (sum string, ok bool) {
	var h hash.Hash
	switch algorithm {
	case "MD5":
		h = md5.New()
	case "SHA-1":
		h = sha1.New()
	case "SHA-256":
		h = sha256.New()
	case "SHA-384":
		h = sha512.New384()
	case "SHA-512":
		h = sha512.New()
	default:
		return "", false
	}
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil)), true
}

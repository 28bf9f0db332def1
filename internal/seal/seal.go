// Package seal encrypts secrets kept at rest (provider secrets, OAuth
// tokens, template keys, handshake payloads) with AES-256-GCM: a random
// nonce, then the ciphertext and its tag.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
)

// Seal encrypts plain under a 32-byte key, binding ad (may be nil).
func Seal(key, plain, ad []byte) ([]byte, error) {
	gcm, err := aead(key)
	if err != nil {
		return nil, err
	}
	iv := make([]byte, gcm.NonceSize())
	rand.Read(iv)
	return gcm.Seal(iv, iv, plain, ad), nil
}

// Open decrypts what Seal made with the same key and ad.
func Open(key, sealed, ad []byte) ([]byte, error) {
	gcm, err := aead(key)
	if err != nil {
		return nil, err
	}
	if len(sealed) < gcm.NonceSize() {
		return nil, errors.New("sealed value too short")
	}
	return gcm.Open(nil, sealed[:gcm.NonceSize()], sealed[gcm.NonceSize():], ad)
}

func aead(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

package state

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Saved values are the user's own, from before the hook touched anything; they
// can include long-lived keys. While a role is active those keys are no longer
// in the environment, and a program run inside the project (a build script, a
// container given the whole env) must not find them in AWSROLE_STATE. So they
// are sealed with AES-GCM under a per-user key kept in a 0600 file. One key
// file, unlike one file per saved state, needs no garbage collection.

// Sealer seals and opens saved values with the key in KeyFile.
type Sealer struct{ KeyFile string }

// Seal encrypts the saved values (nil = absent) for the state.
func (s Sealer) Seal(saved map[string]*string) (string, error) {
	if len(saved) == 0 {
		return "", nil
	}
	plain, err := json.Marshal(saved)
	if err != nil {
		return "", err
	}
	aead, err := s.aead(true)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(aead.Seal(nonce, nonce, plain, nil)), nil
}

// Open decrypts what Seal returned.
func (s Sealer) Open(sealed string) (map[string]*string, error) {
	saved := map[string]*string{}
	if sealed == "" {
		return saved, nil
	}
	box, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil {
		return nil, ErrCorrupt
	}
	aead, err := s.aead(false)
	if err != nil {
		return nil, err
	}
	if len(box) < aead.NonceSize() {
		return nil, ErrCorrupt
	}
	plain, err := aead.Open(nil, box[:aead.NonceSize()], box[aead.NonceSize():], nil)
	if err != nil {
		return nil, fmt.Errorf("saved values cannot be opened with %s (was it replaced?)", s.KeyFile)
	}
	if err := json.Unmarshal(plain, &saved); err != nil {
		return nil, ErrCorrupt
	}
	return saved, nil
}

func (s Sealer) aead(create bool) (cipher.AEAD, error) {
	key, err := s.key(create)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func (s Sealer) key(create bool) ([]byte, error) {
	key, err := readKey(s.KeyFile)
	if err == nil || !create || !errors.Is(err, os.ErrNotExist) {
		return key, err
	}
	if err := os.MkdirAll(filepath.Dir(s.KeyFile), 0o700); err != nil {
		return nil, fmt.Errorf("create state key: %w", err)
	}
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.KeyFile), ".state.key.*")
	if err != nil {
		return nil, fmt.Errorf("create state key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(fresh); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	// Link, not rename: when two shells create the key at once, the second
	// must use the first one's key instead of replacing it.
	if err := os.Link(tmp.Name(), s.KeyFile); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("create state key: %w", err)
	}
	return readKey(s.KeyFile)
}

func readKey(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s is readable by others (mode %v); remove it", path, fi.Mode().Perm())
	}
	key := make([]byte, 32)
	if _, err := io.ReadFull(f, key); err != nil {
		return nil, fmt.Errorf("%s is damaged; remove it", path)
	}
	return key, nil
}

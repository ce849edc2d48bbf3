package admin

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/warden-dev/warden/internal/adminconfig"
)

// TokenFile is the name of the generated token file in the data dir.
const TokenFile = "admin.token"

// LoadOrCreateToken returns the admin token and, when it lives in a file,
// that file's path (the caller prints it so the operator can find it):
//
//   - configured (from config or WARDEN_ADMIN_TOKEN) wins; path is "".
//   - else <dataDir>/admin.token is read; it must not be readable by group
//     or others, as ssh insists for private keys.
//   - else 32 random bytes, hex-encoded, are written there with mode 0600
//     (linked into place atomically, so two processes starting at once
//     agree on one token), creating dataDir with mode 0700 when missing.
func LoadOrCreateToken(dataDir, configured string) (token, path string, err error) {
	if configured != "" {
		if err := adminconfig.CheckToken(configured); err != nil {
			return "", "", fmt.Errorf("admin token: %w", err)
		}
		return configured, "", nil
	}
	if dataDir == "" {
		return "", "", errors.New("admin token: no token configured and no data dir to keep one in")
	}
	path = filepath.Join(dataDir, TokenFile)
	if tok, err := readToken(path); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return tok, path, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", "", fmt.Errorf("admin token: create data dir: %w", err)
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", "", fmt.Errorf("admin token: generate: %w", err)
	}
	tok := hex.EncodeToString(raw[:])
	// Write a temporary file, then hard-link it into place: the link is
	// atomic and fails when the name exists, so a concurrent start either
	// wins or reads the complete token of the one that did.
	f, err := os.CreateTemp(dataDir, ".admin.token-*") // mode 0600
	if err != nil {
		return "", "", fmt.Errorf("admin token: create %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	_, err = f.WriteString(tok + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o600)
	}
	if err != nil {
		return "", "", fmt.Errorf("admin token: write %s: %w", path, err)
	}
	if err := os.Link(tmp, path); errors.Is(err, fs.ErrExist) { // another process won the race
		tok, err := readToken(path)
		return tok, path, err
	} else if err != nil {
		return "", "", fmt.Errorf("admin token: create %s: %w", path, err)
	}
	return tok, path, nil
}

func readToken(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("admin token: %w", err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("admin token: %s is accessible by others (mode %#o); run chmod 600 on it", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("admin token: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("admin token: %s is empty; delete it to generate a new token", path)
	}
	if err := adminconfig.CheckToken(tok); err != nil {
		return "", fmt.Errorf("admin token: %s: %w", path, err)
	}
	return tok, nil
}

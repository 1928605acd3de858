package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// version1 prefixes every sealed value: AES-256-GCM, 12-byte random nonce.
const version1 = 1

// ErrOpen means a sealed value could not be decrypted: the wrong master key
// or corrupted data. The message never contains the value.
var ErrOpen = errors.New("seal: cannot open sealed value (wrong master key or corrupted data)")

// Sealer encrypts and decrypts small secrets. It is safe for concurrent use.
type Sealer struct {
	aead cipher.AEAD
}

// New returns a Sealer for a 32-byte key.
func New(key []byte) (*Sealer, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("seal: master key must be 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts plain. The associated data binds the value to its place
// (for example "client_secret:<tenant>:<client_id>") so a sealed value copied
// into another row does not open.
func (s *Sealer) Seal(plain []byte, associated string) []byte {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic("seal: no randomness: " + err.Error())
	}
	out := make([]byte, 0, 1+len(nonce)+len(plain)+s.aead.Overhead())
	out = append(out, version1)
	out = append(out, nonce...)
	return s.aead.Seal(out, nonce, plain, []byte(associated))
}

// Open decrypts a value made by Seal with the same associated data.
func (s *Sealer) Open(sealed []byte, associated string) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < 1+n+s.aead.Overhead() || sealed[0] != version1 {
		return nil, ErrOpen
	}
	plain, err := s.aead.Open(nil, sealed[1:1+n], sealed[1+n:], []byte(associated))
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}

// MasterKeyFile is the name of the generated key inside the data directory.
const MasterKeyFile = "master.key"

// LoadOrCreateKey returns the master key: from fromEnv when it is set (64 hex
// characters or standard base64 of 32 bytes), else from dataDir/master.key,
// generating that file (mode 0600) the first time.
func LoadOrCreateKey(fromEnv, dataDir string) ([]byte, error) {
	if fromEnv != "" {
		return parseKey(fromEnv)
	}
	path := filepath.Join(dataDir, MasterKeyFile)
	b, err := os.ReadFile(path)
	if err == nil {
		return parseKey(strings.TrimSpace(string(b)))
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("seal: read master key: %w", err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("seal: create data dir: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("seal: create master key: %w", err)
	}
	defer f.Close()
	if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		return nil, fmt.Errorf("seal: write master key: %w", err)
	}
	return key, f.Sync()
}

// LoadKeyFile reads a master key kept in a file of its own (the
// --master-key-file setting), in the forms TOKENHOOK_MASTER_KEY accepts.
func LoadKeyFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("seal: read master key file: %w", err)
	}
	return parseKey(strings.TrimSpace(string(b)))
}

func parseKey(s string) ([]byte, error) {
	if b, err := hex.DecodeString(s); err == nil && len(b) == 32 {
		return b, nil
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) == 32 {
		return b, nil
	}
	return nil, errors.New("seal: master key must be 32 bytes as 64 hex characters or base64")
}

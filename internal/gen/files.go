package gen

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// stamp writes the checksum of src (taken with the placeholder in its place) into its header.
func stamp(src []byte) []byte {
	sum := sha256.Sum256(src)
	return bytes.Replace(src, []byte(sumLine+placeholder), []byte(sumLine+hex.EncodeToString(sum[:8])), 1)
}

// state is what a file on disk is to kinship-gen.
type state uint8

const (
	foreign  state = iota // not written by kinship-gen (no checksum line)
	edited                // written by kinship-gen, changed since
	pristine              // as kinship-gen wrote it
)

func stateOf(src []byte) state {
	i := bytes.Index(src, []byte(sumLine))
	if i < 0 || len(src) < i+len(sumLine)+len(placeholder) {
		return foreign
	}
	at := i + len(sumLine)
	was := string(src[at : at+len(placeholder)])
	blank := slices.Concat(src[:at], []byte(placeholder), src[at+len(placeholder):])
	if sum := sha256.Sum256(blank); hex.EncodeToString(sum[:8]) == was {
		return pristine
	}
	return edited
}

// Report says what Write did.
type Report struct {
	Written, Unchanged, Removed []string
	Kept                        []string // files kinship-gen wrote once that it no longer would, edited since: left alone
}

// ErrEdited is what Write returns, wrapped with the files' names, when it would overwrite
// files a person changed (or did not come from kinship-gen) and force is off.
var ErrEdited = errors.New("files changed since kinship-gen wrote them (run with -force to overwrite them)")

// Write writes files into dir, creating it. It first checks every file it would replace:
// unless force, a file that kinship-gen did not write, or that was changed since, stops it
// before anything is written. Files kinship-gen wrote once in dir that are not in files are
// removed if unchanged, kept otherwise.
func Write(dir string, files []File, force bool) (Report, error) {
	var rep Report
	var refused []string
	want := map[string]bool{}
	for _, f := range files {
		want[f.Name] = true
		old, err := os.ReadFile(filepath.Join(dir, f.Name))
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			return rep, err
		case bytes.Equal(old, f.Content):
			rep.Unchanged = append(rep.Unchanged, f.Name)
		case stateOf(old) != pristine && !force:
			refused = append(refused, f.Name)
		}
	}
	if len(refused) > 0 {
		return rep, fmt.Errorf("%s: %s: %w", dir, strings.Join(refused, ", "), ErrEdited)
	}
	var stale []string
	if entries, err := os.ReadDir(dir); err == nil {
		for _, e := range entries {
			if n := e.Name(); !e.IsDir() && strings.HasSuffix(n, ".go") && !want[n] {
				stale = append(stale, n)
			}
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return rep, err
	}
	for _, f := range files {
		if slices.Contains(rep.Unchanged, f.Name) {
			continue
		}
		if err := writeAtomic(filepath.Join(dir, f.Name), f.Content); err != nil {
			return rep, err
		}
		rep.Written = append(rep.Written, f.Name)
	}
	for _, n := range stale {
		p := filepath.Join(dir, n)
		src, err := os.ReadFile(p)
		if err != nil {
			return rep, err
		}
		switch stateOf(src) {
		case pristine:
			if err := os.Remove(p); err != nil {
				return rep, err
			}
			rep.Removed = append(rep.Removed, n)
		case edited:
			rep.Kept = append(rep.Kept, n)
		}
	}
	return rep, nil
}

func writeAtomic(path string, content []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".kinship-gen-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(content); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Archive writes files one after the other, each after a "-- name --" line (the txtar format):
// what -dry-run prints, and what the golden files hold.
func Archive(w io.Writer, files []File) error {
	for _, f := range files {
		if _, err := fmt.Fprintf(w, "-- %s --\n%s", f.Name, f.Content); err != nil {
			return err
		}
	}
	return nil
}

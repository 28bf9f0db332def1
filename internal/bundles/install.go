package bundles

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
)

// Pinned are the versions Concierge is tested with (e2e/clerkjs).
var Pinned = map[string]string{"@clerk/clerk-js": "6.40.0", "@clerk/ui": "1.36.0"}

// Install fetches pkg@version from the npm registry with `npm pack`
// (npm verifies the package's integrity and uses the operator's registry
// settings) and unpacks it into dir as <prefix><version>/.
func Install(ctx context.Context, dir, pkg, version string) (string, error) {
	prefix, ok := Packages[pkg]
	if !ok {
		return "", fmt.Errorf("%s is not one of the bundles Concierge serves", pkg)
	}
	if _, ok := parseVersion(version); !ok {
		return "", fmt.Errorf("%s: version %q must be exact, such as 6.40.0", pkg, version)
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", errors.New("npm is needed to fetch the bundles from the npm registry (apt-get install npm), or unpack them into the bundle folder by hand")
	}
	tmp, err := os.MkdirTemp("", "concierge-bundle-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.CommandContext(ctx, npm, "pack", "--silent", pkg+"@"+version)
	cmd.Dir = tmp
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("npm pack %s@%s: %v: %s", pkg, version, err, strings.TrimSpace(stderr.String()))
	}
	tgz := strings.TrimSpace(string(out))
	if i := strings.LastIndex(tgz, "\n"); i >= 0 {
		tgz = tgz[i+1:]
	}
	dest := filepath.Join(dir, prefix+version)
	if err := unpack(filepath.Join(tmp, tgz), dest); err != nil {
		return "", fmt.Errorf("unpacking %s: %w", tgz, err)
	}
	return dest, nil
}

// unpack writes an npm tarball's package/ files into dest, replacing what
// was there; entries that would land outside it are refused.
func unpack(tgz, dest string) (err error) {
	f, err := os.Open(tgz)
	if err != nil {
		return err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	staging := dest + ".partial"
	os.RemoveAll(staging)
	defer func() {
		if err != nil {
			os.RemoveAll(staging)
		}
	}()
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		name := path.Clean(strings.TrimPrefix(h.Name, "package/"))
		if name == "." || strings.HasPrefix(name, "../") || name == ".." || path.IsAbs(name) {
			return fmt.Errorf("unsafe path %q in the package", h.Name)
		}
		target := filepath.Join(staging, filepath.FromSlash(name))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			out, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
			if err != nil {
				return err
			}
			_, err = io.Copy(out, io.LimitReader(tr, 200<<20))
			if cerr := out.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		}
	}
	os.RemoveAll(dest)
	return os.Rename(staging, dest)
}

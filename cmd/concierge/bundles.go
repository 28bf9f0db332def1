package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/conciergehq/concierge/internal/bundles"
	"github.com/conciergehq/concierge/internal/config"
)

const bundlesUsage = `Usage: concierge bundles install [flags]

Fetches Clerk's browser bundles (@clerk/clerk-js and @clerk/ui, at the
versions Concierge is tested with) from the npm registry with npm, into
the bundle folder (-bundle-dir or CONCIERGE_BUNDLE_DIR; by default
clerk-bundles beside the SQLite file). Concierge then serves them at
/npm/@clerk/clerk-js@<version>/dist/… and /npm/@clerk/ui@<version>/dist/…,
where Clerk's <ClerkProvider> loads them from.
`

// bundlesCommand runs "concierge bundles install".
func bundlesCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "install" {
		fmt.Fprint(stderr, bundlesUsage)
		return config.ErrHelp
	}
	cfg, err := config.Load(args[1:], getenv, stderr)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(cfg.BundleDir, 0o755); err != nil {
		return err
	}
	names := make([]string, 0, len(bundles.Pinned))
	for pkg := range bundles.Pinned {
		names = append(names, pkg)
	}
	slices.Sort(names)
	for _, pkg := range names {
		dir, err := bundles.Install(ctx, cfg.BundleDir, pkg, bundles.Pinned[pkg])
		if err != nil {
			return fmt.Errorf("bundles install: %w", err)
		}
		fmt.Fprintf(stdout, "installed %s@%s in %s\n", pkg, bundles.Pinned[pkg], dir)
	}
	return nil
}

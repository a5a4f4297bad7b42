package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ordohq/ordo/mesh"
)

func init() { register(newMeshCmd) }

// newMeshCmd is "ordo mesh TEMPLATE ...": generate a production file offline.
func newMeshCmd() *cobra.Command {
	var (
		params      []string
		format      string
		output      string
		preview     string
		previewSize string
		maxTris     int64
	)
	cmd := &cobra.Command{
		Use:   "mesh TEMPLATE --param key=value ... -o FILE",
		Short: "Generate a production file (STL or OBJ) from a parametric template",
		Long: `Generate a production file from a parametric template, checked to be a
closed, outward-facing solid before anything is written.

List the templates and their parameters with "ordo mesh templates".`,
		Example: `  ordo mesh ring --param size=9 --param width=4 -o ring.stl
  ordo mesh nameplate -p text=Bjørn -p hole_diameter=5 --format obj -o tag.obj --preview tag.png`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			usage := func(err error) error { return &exitError{code: 2, err: err} }
			f, err := mesh.ParseFormat(format)
			if err != nil {
				return usage(err)
			}
			if output == "" {
				return usage(errors.New("mesh: --output (-o) is required; use - for standard output"))
			}
			w, h, err := parseSize(previewSize)
			if err != nil {
				return usage(err)
			}
			values := make(map[string]any, len(params))
			for _, p := range params {
				k, v, ok := strings.Cut(p, "=")
				if !ok || k == "" {
					return usage(fmt.Errorf("mesh: --param %q: want key=value", p))
				}
				values[k] = v
			}
			if maxTris < 1 || maxTris > mesh.MaxTriangles {
				return usage(fmt.Errorf("mesh: --max-triangles %d: want 1 to %d", maxTris, mesh.MaxTriangles))
			}
			m, err := mesh.Generate(args[0], values, &mesh.GenerateOptions{MaxTriangles: maxTris})
			switch {
			case errors.Is(err, mesh.ErrOverBudget):
				return usage(fmt.Errorf("%w; nothing was written (raise --max-triangles, at most %d, to allow more)", err, mesh.MaxTriangles))
			case errors.Is(err, mesh.ErrInvalidParam) || errors.Is(err, mesh.ErrUnknownTemplate):
				return usage(err)
			case err != nil:
				return err
			}
			n, err := writeOutput(cmd.OutOrStdout(), output, func(wr io.Writer) (int64, error) { return mesh.Write(wr, m, f) })
			if err != nil {
				return err
			}
			size := m.Bounds().Size()
			fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s (%s): %d triangles, %d bytes; %.2f × %.2f × %.2f mm; %.1f mm³\n",
				output, f, len(m.Triangles), n, size.X, size.Y, size.Z, m.Volume())
			if preview != "" {
				if _, err := writeOutput(cmd.OutOrStdout(), preview, func(wr io.Writer) (int64, error) {
					return 0, mesh.RenderPNG(wr, m, &mesh.RenderOptions{Width: w, Height: h, MaxTriangles: maxTris})
				}); err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "wrote preview %s (%d×%d)\n", preview, w, h)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVarP(&params, "param", "p", nil, "template parameter as key=value (repeat for each)")
	fl.StringVarP(&format, "format", "f", "stl", "file format: stl (binary), stl-ascii or obj")
	fl.StringVarP(&output, "output", "o", "", "file to write, or - for standard output (required)")
	fl.StringVar(&preview, "preview", "", "also write a PNG picture of the mesh to this file")
	fl.StringVar(&previewSize, "preview-size", "800x600", "preview size in pixels, WIDTHxHEIGHT")
	fl.Int64Var(&maxTris, "max-triangles", mesh.DefaultMaxTriangles, "refuse parameters that make more triangles than this, before building anything")
	cmd.AddCommand(newMeshTemplatesCmd())
	return cmd
}

// parseSize parses "800x600".
func parseSize(s string) (int, int, error) {
	ws, hs, ok := strings.Cut(strings.ToLower(s), "x")
	w, err1 := strconv.Atoi(ws)
	h, err2 := strconv.Atoi(hs)
	if !ok || err1 != nil || err2 != nil || w < 1 || h < 1 || w > mesh.MaxPreviewSize || h > mesh.MaxPreviewSize {
		return 0, 0, fmt.Errorf("mesh: --preview-size %q: want WIDTHxHEIGHT, each 1..%d", s, mesh.MaxPreviewSize)
	}
	return w, h, nil
}

// writeOutput runs write on standard output for "-", otherwise on a
// temporary file next to name that is renamed to name only when write
// succeeded, so a failure never leaves a partial file behind.
func writeOutput(stdout io.Writer, name string, write func(io.Writer) (int64, error)) (int64, error) {
	if name == "-" {
		return write(stdout)
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	if err != nil {
		return 0, fmt.Errorf("mesh: create %s: %w", name, err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	n, err := write(tmp)
	if err == nil {
		err = tmp.Chmod(0o644) // CreateTemp makes it private
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), name)
	}
	if err != nil {
		return n, fmt.Errorf("mesh: write %s: %w", name, err)
	}
	return n, nil
}

// newMeshTemplatesCmd is "ordo mesh templates": list templates and parameters.
func newMeshTemplatesCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "templates",
		Short: "List the parametric templates and their parameters",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			if asJSON {
				type tmpl struct {
					Name        string       `json:"name"`
					Description string       `json:"description"`
					Params      []mesh.Param `json:"params"`
				}
				var list []tmpl
				for _, t := range mesh.Templates() {
					list = append(list, tmpl{t.Name(), t.Description(), t.Params()})
				}
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(list)
			}
			for i, t := range mesh.Templates() {
				if i > 0 {
					fmt.Fprintln(out)
				}
				fmt.Fprintf(out, "%s: %s\n", t.Name(), t.Description())
				tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "  PARAMETER\tTYPE\tDEFAULT\tALLOWED\tDESCRIPTION")
				for _, p := range t.Params() {
					def := "(required)"
					if p.Default != nil {
						def = fmt.Sprint(p.Default)
						if p.Unit != "" {
							def += " " + p.Unit
						}
					}
					fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", p.Name, p.Type, def, p.Range(), p.Description)
				}
				if err := tw.Flush(); err != nil {
					return err
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON instead of a table")
	return cmd
}

package poster

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"civmap"

	"golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// FontCandidate is a CJK font file a Debian package installs.
type FontCandidate struct {
	Path    string // absolute path of the font file
	Package string // the Debian package that installs it
}

// DefaultFonts are the CJK TrueType fonts tried, in order, when no font path is configured:
// Debian's fonts-droid-fallback (a plain TrueType file; .ci/run installs it), then the
// WenQuanYi and AR PL collections (.ttc with TrueType outlines; the first face is used).
// fonts-noto-cjk is not listed: its fonts have CFF outlines, which the PDF library cannot embed.
var DefaultFonts = []FontCandidate{
	{"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", "fonts-droid-fallback"},
	{"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "fonts-wqy-microhei"},
	{"/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "fonts-wqy-zenhei"},
	{"/usr/share/fonts/truetype/arphic/uming.ttc", "fonts-arphic-uming"},
}

// FontPackage is the Debian package the error messages tell an operator to install.
const FontPackage = "fonts-droid-fallback"

// LatinFonts are tried, in order, for the characters a CJK font lacks (DroidSansFallbackFull
// has no Latin letters, digits or "·"): Debian's fonts-dejavu-core, then fonts-liberation2.
var LatinFonts = []FontCandidate{
	{"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "fonts-dejavu-core"},
	{"/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf", "fonts-liberation2"},
	{"/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf", "fonts-liberation"},
}

// latinSample is text every poster prints outside CJK: URL characters, digits and "·".
const latinSample = "https://wmsj.example.cn/s/0123456789 · ABCXYZ abcxyz%-_~"

// Font is a CJK TrueType font ready to embed: the bytes of one TrueType face (a face extracted
// from a .ttc collection is rewritten as a standalone .ttf) and its parsed tables.
type Font struct {
	Path string // file it came from
	Data []byte // one TrueType ('glyf') face
	// Fallback is the font for characters this one lacks (LatinFonts), or nil.
	Fallback *Font
	sf       *sfnt.Font
	buf      sfnt.Buffer
}

// LoadFont finds and loads a CJK font, with a Latin Fallback from LatinFonts when the CJK font
// lacks Latin letters, digits or "·" (EUNAVAILABLE naming fonts-dejavu-core when none is found). path may be a font file (.ttf, or a .ttc whose first
// face is used), a directory searched recursively for the DefaultFonts file names and then for
// any .ttf/.ttc with TrueType outlines that has the glyphs of "新时代文明实践站", or "" for
// DefaultFonts. It returns an EUNAVAILABLE error naming the Debian package to install when no
// usable font is found, and EINVALID (field "font") for a file that is not a TrueType font with
// glyf outlines.
func LoadFont(path string) (*Font, error) {
	f, err := loadCJK(path)
	if err != nil {
		return nil, err
	}
	if len(f.own(latinSample)) == 0 {
		return f, nil
	}
	for _, c := range LatinFonts {
		if lf, err := loadFontFile(c.Path); err == nil && len(lf.own(latinSample)) == 0 {
			f.Fallback = lf
			return f, nil
		}
	}
	return nil, civmap.Errorf(civmap.EUNAVAILABLE, "the CJK font %s has no Latin letters and no Latin font was found (%s): install the Debian package %s",
		f.Path, LatinFonts[0].Path, LatinFonts[0].Package)
}

func loadCJK(path string) (*Font, error) {
	if path == "" {
		var tried []string
		for _, c := range DefaultFonts {
			if _, err := os.Stat(c.Path); err == nil {
				return loadFontFile(c.Path)
			}
			tried = append(tried, c.Path)
		}
		return nil, noFont(strings.Join(tried, ", "))
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, noFont(path + " (" + errors.Unwrap(err).Error() + ")")
	}
	if !st.IsDir() {
		return loadFontFile(path)
	}
	var files []string
	filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			switch strings.ToLower(filepath.Ext(p)) {
			case ".ttf", ".ttc":
				files = append(files, p)
			}
		}
		return nil
	})
	rank := func(p string) int {
		for i, c := range DefaultFonts {
			if filepath.Base(p) == filepath.Base(c.Path) {
				return i
			}
		}
		return len(DefaultFonts)
	}
	sort.SliceStable(files, func(i, j int) bool { return rank(files[i]) < rank(files[j]) })
	for _, f := range files {
		if font, err := loadFontFile(f); err == nil && len(font.own("新时代文明实践站")) == 0 {
			return font, nil
		}
	}
	return nil, noFont(path)
}

func noFont(where string) error {
	return civmap.Errorf(civmap.EUNAVAILABLE,
		"no CJK TrueType font found in %s: install the Debian package %s (apt-get install %s; fonts-wqy-microhei or fonts-wqy-zenhei also work) or give a .ttf/.ttc file with --font or CIVMAP_FONT (fonts-noto-cjk cannot be used: its outlines are CFF)",
		where, FontPackage, FontPackage)
}

func loadFontFile(path string) (*Font, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, noFont(path)
	}
	if len(b) >= 4 && string(b[:4]) == "ttcf" {
		if b, err = ttcFace(b, 0); err != nil {
			return nil, civmap.FieldErrorf("font", "%s: %v", path, err)
		}
	}
	tables, err := tableTags(b)
	if err != nil {
		return nil, civmap.FieldErrorf("font", "%s is not a TrueType font: %v", path, err)
	}
	if !tables["glyf"] {
		return nil, civmap.FieldErrorf("font", "%s has no TrueType (glyf) outlines (CFF/OpenType fonts cannot be embedded); install %s", path, FontPackage)
	}
	sf, err := sfnt.Parse(b)
	if err != nil {
		return nil, civmap.FieldErrorf("font", "%s: %v", path, err)
	}
	return &Font{Path: path, Data: b, sf: sf}, nil
}

// Missing returns the characters of text that neither the font nor its Fallback has a glyph
// for, in order, without duplicates; spaces are never missing.
func (f *Font) Missing(text string) []rune {
	var out []rune
	for _, r := range f.own(text) {
		if f.Fallback == nil || len(f.Fallback.Missing(string(r))) > 0 {
			out = append(out, r)
		}
	}
	return out
}

// own returns the characters of text this font (not its fallback) lacks.
func (f *Font) own(text string) []rune {
	var out []rune
	seen := map[rune]bool{}
	for _, r := range text {
		if r == ' ' || seen[r] {
			continue
		}
		seen[r] = true
		if !f.has(r) {
			out = append(out, r)
		}
	}
	return out
}

func (f *Font) has(r rune) bool {
	i, err := f.sf.GlyphIndex(&f.buf, r)
	return err == nil && i != 0
}

// span is a run of text set in one font.
type span struct {
	font *Font
	text string
}

// spans splits text into runs by the font that has each character: f where it can, else its
// Fallback (a space stays in the current run).
func (f *Font) spans(text string) []span {
	var out []span
	for _, r := range text {
		g := f
		if r == ' ' && len(out) > 0 {
			g = out[len(out)-1].font
		} else if !f.has(r) && f.Fallback != nil {
			g = f.Fallback
		}
		if len(out) > 0 && out[len(out)-1].font == g {
			out[len(out)-1].text += string(r)
		} else {
			out = append(out, span{g, string(r)})
		}
	}
	return out
}

// WidthMM is the advance width of text set at sizePt points, in millimetres (no kerning),
// each character in the font that has it.
func (f *Font) WidthMM(text string, sizePt float64) float64 {
	var w float64
	for _, s := range f.spans(text) {
		w += s.font.ownWidthMM(s.text, sizePt)
	}
	return w
}

func (f *Font) ownWidthMM(text string, sizePt float64) float64 {
	upem := fixed.I(int(f.sf.UnitsPerEm())) // ppem = units per em: advances come back in font units
	var units float64
	for _, r := range text {
		i, err := f.sf.GlyphIndex(&f.buf, r)
		if err != nil {
			continue
		}
		adv, err := f.sf.GlyphAdvance(&f.buf, i, upem, font.HintingNone)
		if err != nil {
			continue
		}
		units += float64(adv) / 64
	}
	return units / float64(f.sf.UnitsPerEm()) * sizePt * mmPerPt
}

// tableTags reads an sfnt table directory and returns its table tags.
func tableTags(b []byte) (map[string]bool, error) {
	if len(b) < 12 {
		return nil, errors.New("file too short")
	}
	switch v := binary.BigEndian.Uint32(b); v {
	case 0x00010000, 0x74727565: // TrueType, 'true'
	case 0x4f54544f: // 'OTTO'
	default:
		return nil, fmt.Errorf("unknown sfnt version %#x", v)
	}
	n := int(binary.BigEndian.Uint16(b[4:]))
	if len(b) < 12+16*n {
		return nil, errors.New("truncated table directory")
	}
	tags := map[string]bool{}
	for i := 0; i < n; i++ {
		tags[string(b[12+16*i:16+16*i])] = true
	}
	return tags, nil
}

// ttcFace rewrites face i of a TrueType collection (OpenType spec, "TTC header") as a
// standalone font file: its table directory followed by copies of its tables, 4-byte aligned.
func ttcFace(b []byte, i int) ([]byte, error) {
	if len(b) < 16 {
		return nil, errors.New("collection too short")
	}
	numFonts := int(binary.BigEndian.Uint32(b[8:]))
	if i >= numFonts || len(b) < 12+4*numFonts {
		return nil, fmt.Errorf("collection has %d faces", numFonts)
	}
	off := int(binary.BigEndian.Uint32(b[12+4*i:]))
	if off+12 > len(b) {
		return nil, errors.New("face offset out of range")
	}
	n := int(binary.BigEndian.Uint16(b[off+4:]))
	if off+12+16*n > len(b) {
		return nil, errors.New("truncated table directory")
	}
	head := 12 + 16*n
	out := make([]byte, head, head+len(b)/numFonts)
	copy(out, b[off:off+12])
	for t := 0; t < n; t++ {
		rec := b[off+12+16*t : off+28+16*t]
		tOff, tLen := int(binary.BigEndian.Uint32(rec[8:])), int(binary.BigEndian.Uint32(rec[12:]))
		if tOff < 0 || tLen < 0 || tOff+tLen > len(b) {
			return nil, fmt.Errorf("table %q out of range", rec[:4])
		}
		copy(out[12+16*t:], rec[:8])
		binary.BigEndian.PutUint32(out[12+16*t+8:], uint32(len(out)))
		binary.BigEndian.PutUint32(out[12+16*t+12:], uint32(tLen))
		out = append(out, b[tOff:tOff+tLen]...)
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
	}
	return out, nil
}

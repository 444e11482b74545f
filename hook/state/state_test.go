package state

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestEncodeDecodeRoundTrip(t *testing.T) {
	in := &State{File: "/p/.awsrole.toml", Dir: "/p", Digest: "abc", Role: "arn:aws:iam::1:role/r",
		Expires: time.Date(2026, 11, 22, 15, 4, 5, 0, time.UTC), Set: map[string]string{"AWS_PROFILE": ""}}
	v, err := Encode(in)
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(v, " '\"$\\\n") {
		t.Fatalf("encoded state %q holds characters a shell would have to quote", v)
	}
	out, err := Decode(v)
	if err != nil {
		t.Fatal(err)
	}
	if out.File != in.File || out.Role != in.Role || !out.Expires.Equal(in.Expires) || out.Set["AWS_PROFILE"] != "" || !out.Active() {
		t.Fatalf("round trip changed the state: %+v", out)
	}
}

func TestDecodeRefusesWhatItDidNotWrite(t *testing.T) {
	for _, v := range []string{"not-a-state", "e30", "eyJ2IjoyfQ", "!!!"} {
		if _, err := Decode(v); err != ErrCorrupt {
			t.Errorf("Decode(%q) = %v, want ErrCorrupt", v, err)
		}
	}
	if s, err := Decode(""); s != nil || err != nil {
		t.Errorf("empty state: %v, %v; want none", s, err)
	}
}

func TestSealKeepsSavedValuesUnreadable(t *testing.T) {
	dir := t.TempDir()
	s := Sealer{KeyFile: filepath.Join(dir, "state", "state.key")}
	secret := "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	sealed, err := s.Seal(map[string]*string{"AWS_SECRET_ACCESS_KEY": &secret, "AWS_PROFILE": nil})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, secret) || strings.Contains(sealed, "wJalr") {
		t.Fatal("the sealed value shows the secret")
	}
	fi, err := os.Stat(s.KeyFile)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v mode %v, want 0600", err, fi.Mode().Perm())
	}
	got, err := s.Open(sealed)
	if err != nil || got["AWS_SECRET_ACCESS_KEY"] == nil || *got["AWS_SECRET_ACCESS_KEY"] != secret || got["AWS_PROFILE"] != nil {
		t.Fatalf("Open = %v, %v", got, err)
	}
	// Another key (the file replaced) cannot open it.
	other := Sealer{KeyFile: filepath.Join(dir, "other.key")}
	if _, err := other.Seal(map[string]*string{"X": &secret}); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Open(sealed); err == nil {
		t.Fatal("a different key opened the sealed values")
	}
	if err := os.Chmod(s.KeyFile, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(sealed); err == nil || !strings.Contains(err.Error(), "readable by others") {
		t.Fatalf("a key readable by others was used: %v", err)
	}
}

func TestConcurrentKeyCreationAgrees(t *testing.T) {
	s := Sealer{KeyFile: filepath.Join(t.TempDir(), "state.key")}
	v := "value"
	sealed := make([]string, 8)
	var wg sync.WaitGroup
	for i := range sealed {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sealed[i], _ = s.Seal(map[string]*string{"A": &v})
		}()
	}
	wg.Wait()
	for i, box := range sealed {
		if got, err := s.Open(box); err != nil || *got["A"] != v {
			t.Errorf("seal %d cannot be opened with the key on disk: %v", i, err)
		}
	}
}

func TestDiff(t *testing.T) {
	from := Env{"A": "1", "B": "2", "C": "3"}
	to := Env{"A": "1", "B": "x", "D": "4"}
	ch := Diff(from, to, []string{"A", "B", "C", "D", "E"})
	if len(ch) != 3 || *ch["B"] != "x" || ch["C"] != nil || *ch["D"] != "4" {
		t.Fatalf("Diff = %v", ch)
	}
	if _, ok := ch["C"]; !ok {
		t.Fatal("C should be unset (present with nil)")
	}
}

package vem

import (
	"encoding/pem"
	"go/parser"
	"go/token"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEnvOptions: the environment is read as the vem command reads it.
func TestEnvOptions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	require.NoError(t, os.WriteFile(caFile, certPEMForTest(t), 0o600))
	notPEM := filepath.Join(dir, "not.pem")
	require.NoError(t, os.WriteFile(notPEM, []byte("hello"), 0o600))
	const pass = " Pa55 w0rd! " // kept as is, spaces included

	type want struct {
		url                string
		username, password string
		hasCredentials     bool
		token              string
		insecureSkip       bool
		allowHTTP          bool
		rootCAs            bool
	}
	tests := []struct {
		name    string
		env     map[string]string
		want    want
		wantErr string
	}{
		{"credentials", map[string]string{EnvURL: " https://em:9398 ", EnvUsername: ` TECH\svc `, EnvPassword: pass},
			want{url: "https://em:9398", username: `TECH\svc`, password: pass, hasCredentials: true}, ""},
		{"session only", map[string]string{EnvURL: "https://em:9398", EnvSessionID: " tok "},
			want{url: "https://em:9398", token: "tok"}, ""},
		{"session and credentials", map[string]string{EnvURL: "https://em:9398", EnvSessionID: "tok", EnvUsername: "u", EnvPassword: pass},
			want{url: "https://em:9398", token: "tok", username: "u", password: pass, hasCredentials: true}, ""},
		{"session and user without password", map[string]string{EnvURL: "https://em:9398", EnvSessionID: "tok", EnvUsername: "u"},
			want{url: "https://em:9398", token: "tok"}, ""},
		{"insecure https", map[string]string{EnvURL: "https://em:9398", EnvUsername: "u", EnvPassword: pass, EnvInsecure: "yes", EnvCAFile: caFile},
			want{url: "https://em:9398", username: "u", password: pass, hasCredentials: true, insecureSkip: true}, ""},
		{"insecure http", map[string]string{EnvURL: "http://em:9398", EnvUsername: "u", EnvPassword: pass, EnvInsecure: "1"},
			want{url: "http://em:9398", username: "u", password: pass, hasCredentials: true, allowHTTP: true}, ""},
		{"CA file", map[string]string{EnvURL: "https://em:9398", EnvUsername: "u", EnvPassword: pass, EnvCAFile: caFile, EnvInsecure: "off"},
			want{url: "https://em:9398", username: "u", password: pass, hasCredentials: true, rootCAs: true}, ""},
		{"no URL", map[string]string{EnvUsername: "u", EnvPassword: pass}, want{}, "VEM_URL is not set"},
		{"relative URL", map[string]string{EnvURL: "em:9398", EnvUsername: "u", EnvPassword: pass}, want{}, "invalid address"},
		{"http without insecure", map[string]string{EnvURL: "http://em:9398", EnvUsername: "u", EnvPassword: pass}, want{}, "VEM_INSECURE=1"},
		{"bad boolean", map[string]string{EnvURL: "https://em:9398", EnvUsername: "u", EnvPassword: pass, EnvInsecure: "maybe"}, want{}, "VEM_INSECURE: invalid value"},
		{"no user, no session", map[string]string{EnvURL: "https://em:9398", EnvPassword: pass}, want{}, "VEM_USERNAME is not set"},
		{"no password", map[string]string{EnvURL: "https://em:9398", EnvUsername: "u"}, want{}, "VEM_PASSWORD is not set"},
		{"CA file missing", map[string]string{EnvURL: "https://em:9398", EnvUsername: "u", EnvPassword: pass, EnvCAFile: filepath.Join(dir, "none.pem")}, want{}, "VEM_CA_FILE"},
		{"CA file not PEM", map[string]string{EnvURL: "https://em:9398", EnvUsername: "u", EnvPassword: pass, EnvCAFile: notPEM}, want{}, "holds no PEM data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts, base, err := func() ([]Option, string, error) {
				e, err := ReadEnv(func(k string) string { return tt.env[k] })
				if err != nil {
					return nil, "", err
				}
				return e.options()
			}()
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.NotContains(t, err.Error(), pass)
				return
			}
			require.NoError(t, err)
			var cfg config
			for _, o := range opts {
				require.NoError(t, o(&cfg))
			}
			got := want{url: base, username: cfg.username, password: cfg.password, hasCredentials: cfg.hasCredentials,
				token: cfg.sessionToken, insecureSkip: cfg.insecureSkipVerify, allowHTTP: cfg.allowInsecureHTTP, rootCAs: cfg.rootCAs != nil}
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestEnvNewClient reads the real environment; later options win. The
// deprecated NewFromEnv and FromEnv read the same.
func TestEnvNewClient(t *testing.T) {
	t.Setenv(EnvURL, "https://em.example.com:9398/api/")
	t.Setenv(EnvUsername, "u")
	t.Setenv(EnvPassword, "p4ss-word")
	t.Setenv(EnvSessionID, "")
	t.Setenv(EnvCAFile, "")
	t.Setenv(EnvInsecure, "")
	env, err := ReadEnv(nil)
	require.NoError(t, err)
	c, err := env.NewClient(WithFormat(FormatJSON))
	require.NoError(t, err)
	defer c.Close()
	assert.Equal(t, "https://em.example.com:9398", c.BaseURL())
	assert.Equal(t, FormatJSON, c.Format())
	assert.True(t, c.cfg.hasCredentials)

	old, err := NewFromEnv(WithFormat(FormatJSON))
	require.NoError(t, err)
	defer old.Close()
	assert.Equal(t, c.BaseURL(), old.BaseURL())
	assert.Equal(t, FormatJSON, old.Format())
	opts, base, err := FromEnv()
	require.NoError(t, err)
	assert.Equal(t, env.URL, base)
	assert.Len(t, opts, 1) // the credentials

	t.Setenv(EnvURL, "")
	env, err = ReadEnv(nil)
	require.NoError(t, err)
	_, err = env.NewClient()
	require.ErrorContains(t, err, "VEM_URL")
	_, err = NewFromEnv()
	require.ErrorContains(t, err, "VEM_URL")
}

// certPEMForTest returns the PEM of a throwaway TLS server's certificate.
func certPEMForTest(t *testing.T) []byte {
	t.Helper()
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
}

// TestExamplesImportNoInternalPackage: the examples are copyable.
func TestExamplesImportNoInternalPackage(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("examples", "*", "*.go"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	fset := token.NewFileSet()
	for _, f := range files {
		af, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		require.NoError(t, err)
		for _, imp := range af.Imports {
			assert.NotContains(t, imp.Path.Value, "/internal", f)
		}
	}
}

func TestParseEnvBool(t *testing.T) {
	for in, want := range map[string]bool{"1": true, "TRUE": true, "yes": true, "on": true, " On ": true, "t": true, "": false, "0": false, "no": false, "OFF": false} {
		got, err := ParseEnvBool(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, bad := range []string{"maybe", "2", "y"} {
		_, err := ParseEnvBool(bad)
		assert.Error(t, err, bad)
	}
}

// ReadEnv reads what the vem command reads, through the getenv it is given:
// trimmed values, the password as it is.
func TestReadEnv(t *testing.T) {
	vars := map[string]string{
		EnvURL: " https://em:9398 ", EnvUsername: "TECH\\svc ", EnvPassword: " p w ",
		EnvSessionID: "tok\n", EnvCAFile: " /etc/ca.pem", EnvInsecure: "yes",
	}
	e, err := ReadEnv(func(k string) string { return vars[k] })
	require.NoError(t, err)
	assert.Equal(t, Env{URL: "https://em:9398", Username: "TECH\\svc", Password: " p w ", SessionID: "tok", CAFile: "/etc/ca.pem", Insecure: true}, e)

	vars[EnvInsecure] = "perhaps"
	_, err = ReadEnv(func(k string) string { return vars[k] })
	require.ErrorContains(t, err, EnvInsecure)
	assert.NotContains(t, err.Error(), " p w ")
}

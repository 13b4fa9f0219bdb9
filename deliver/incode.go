package deliver

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

func init() { register("incode", incode) }

// incode sends as Incode does. Incode signs nothing: it sends the static
// header of the "header" setting ("Name: value"), or it first fetches an
// OAuth 2.0 token with client credentials (the client id, the first secret)
// from the route's "token_path", on the target URL's host, and sends it as a
// Bearer token; a ready "token" setting is sent as it is.
func incode(o *Options) (*Delivery, error) {
	d := jsonDelivery(o)
	if h := o.Settings["header"]; h != "" {
		if err := setStaticHeader(d, "incode", h); err != nil {
			return nil, err
		}
	}
	token := o.Settings["token"]
	if path := o.Settings["token_path"]; path != "" && token == "" {
		var err error
		if token, err = fetchIncodeToken(o, path); err != nil {
			return nil, err
		}
	}
	if token != "" {
		d.Header.Set("Authorization", "Bearer "+token)
	}
	if token == "" && o.Settings["header"] == "" {
		return nil, fmt.Errorf("deliver: incode needs a header (header=Name: value) or a token_path to fetch a token from")
	}
	return d, nil
}

// fetchIncodeToken does Incode's client-credentials request: HTTP Basic with
// the form-encoded client id and secret (RFC 6749 section 2.3.1), and
// grant_type=client_credentials.
func fetchIncodeToken(o *Options, path string) (string, error) {
	secret, err := o.firstSecret()
	if err != nil {
		return "", err
	}
	target, err := url.Parse(o.URL)
	if err != nil {
		return "", err
	}
	tokenURL := (&url.URL{Scheme: target.Scheme, Host: target.Host, Path: path}).String()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tokenURL, strings.NewReader("grant_type=client_credentials"))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(o.ClientID), url.QueryEscape(string(secret)))
	client := o.Client
	if client == nil {
		client = http.DefaultClient
	}
	res, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("deliver: incode token: %w", err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	var answer struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
	}
	_ = json.Unmarshal(body, &answer)
	if res.StatusCode != http.StatusOK || answer.AccessToken == "" {
		return "", fmt.Errorf("deliver: incode token endpoint %s answered %d %s", tokenURL, res.StatusCode, answer.Error)
	}
	return answer.AccessToken, nil
}

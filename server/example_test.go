package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"

	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/server"
)

// A server around an engine, mounted in an http.Server of your own (here
// httptest's). The AWS CLI and SDKs sign their requests; an unsigned one
// is refused as AWS refuses it.
func Example() {
	eng, err := ruledetect.New(ruledetect.WithRegion("eu-west-1"))
	if err != nil {
		panic(err)
	}
	srv, err := server.New(server.Config{
		Engine:      eng,
		Credentials: map[string]string{"AKIDEXAMPLE": "example-secret"},
		Logger:      slog.New(slog.NewJSONHandler(io.Discard, nil)),
	})
	if err != nil {
		panic(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()

	// Something the engine's owner did, visible through the API.
	if _, err := eng.CreateDimension(context.Background(), ruledetect.CreateDimensionInput{
		Name: "Auth", Type: "TOPIC_FILTER", StringValues: []string{"device/+/auth"}, ClientRequestToken: "t",
	}); err != nil {
		panic(err)
	}

	resp, err := http.Get(ts.URL + "/dimensions/Auth")
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
	fmt.Println(string(body))
	fmt.Println(srv.Region())
	// Output:
	// 403 MissingAuthenticationTokenException
	// {"message":"Missing Authentication Token"}
	// eu-west-1
}

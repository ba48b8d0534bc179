package main

import (
	"errors"

	"github.com/ruledetect/ruledetect/detecttest"
	"github.com/ruledetect/ruledetect/internal/testfile"
)

// testRecorder collects what test --report shows. (Filled in with the
// report package.)
type testRecorder struct{}

func newTestRecorder() *testRecorder { return &testRecorder{} }

func (r *testRecorder) options(f *testfile.File, c *testfile.Case) []detecttest.Option { return nil }

func (r *testRecorder) caseDone(f *testfile.File, c *testfile.Case, s *detecttest.Sim) {}

func (r *testRecorder) write(path string) error { return errors.New("--report: not yet implemented") }

package main

// jsonlines: each batch of profiles the collector receives, appended to a
// file as one line of OTLP/JSON (pdata's own marshaller).  The debug
// exporter prints no stack table, and a test must see which stack each
// sample has.

import (
	"context"
	"os"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper/xexporterhelper"
	"go.opentelemetry.io/collector/exporter/xexporter"
	"go.opentelemetry.io/collector/pdata/pprofile"
)

type jsonLinesConfig struct {
	Path string `mapstructure:"path"`
}

var appending sync.Mutex

func appendLine(path string, line []byte) error {
	appending.Lock()
	defer appending.Unlock()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.Write(append(line, '\n'))
	return err
}

func jsonLinesFactory() exporter.Factory {
	create := func(ctx context.Context, set exporter.Settings, cfg component.Config) (xexporter.Profiles, error) {
		path := cfg.(*jsonLinesConfig).Path
		push := func(_ context.Context, profiles pprofile.Profiles) error {
			line, err := (&pprofile.JSONMarshaler{}).MarshalProfiles(profiles)
			if err != nil {
				return err
			}
			return appendLine(path, line)
		}
		return xexporterhelper.NewProfiles(ctx, set, cfg, push)
	}
	return xexporter.NewFactory(component.MustNewType("jsonlines"),
		func() component.Config { return &jsonLinesConfig{} },
		xexporter.WithProfiles(create, component.StabilityLevelDevelopment))
}

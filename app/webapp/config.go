package webapp

import "github.com/parallel-poc/orchestration/app/internal/config"

// Config is the application's settings (see package config).
type Config = config.Config

// LoadConfig reads settings through getenv, exactly as the binary does.
func LoadConfig(getenv func(string) string) (Config, error) { return config.Load(getenv) }

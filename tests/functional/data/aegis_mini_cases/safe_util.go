package main

import "strings"

// Slug turns a title into a URL slug.
func Slug(title string) string {
	lower := strings.ToLower(strings.TrimSpace(title))
	return strings.Join(strings.Fields(lower), "-")
}

package main

import (
	"crypto/md5"
	"encoding/hex"
	"net/http"
	"os/exec"
)

func pingHandler(w http.ResponseWriter, r *http.Request) {
	host := r.URL.Query().Get("host")
	out, _ := exec.Command("sh", "-c", "ping -c 1 "+host).Output()
	w.Write(out)
}

func tokenFor(user string) string {
	sum := md5.Sum([]byte(user))
	return hex.EncodeToString(sum[:])
}

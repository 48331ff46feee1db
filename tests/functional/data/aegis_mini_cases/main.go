package main

import (
	"net/http"
	"os/exec"
)

func convert(w http.ResponseWriter, r *http.Request) {
	file := r.URL.Query().Get("file")
	out, err := exec.Command("sh", "-c", "convert "+file+" out.png").Output()
	if err != nil {
		http.Error(w, "failed", http.StatusInternalServerError)
		return
	}
	w.Write(out)
}

func main() {
	http.HandleFunc("/convert", convert)
	http.ListenAndServe(":8080", nil)
}

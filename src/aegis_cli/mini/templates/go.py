"""Go: net/http, gin, database/sql, library packages; echo is held out.

Imports are derived from the package selectors the code uses (``http.``, ``sql.`` …); ``rand.``
resolves to crypto/rand or math/rand by the functions called. Go code is indented with tabs.
"""

from __future__ import annotations

import random
from typing import ClassVar

from aegis_cli.mini.engine import (
    Bag,
    FileParts,
    Framework,
    Kit,
    S,
    San,
    Source,
    V,
    fill,
    fillers,
    join_blocks,
    make_spec,
    uses,
)
from aegis_cli.mini.vocab import NameStyle

L = "go"


def spec(cwe, items, sanitizers=(), weight=1.0):
    return make_spec(L, cwe, items, list(sanitizers), weight)


NET_HTTP = Framework(
    name="net/http",
    sources=(
        Source(expr='r.URL.Query().Get("«key»")'), Source(expr='r.FormValue("«key»")'), Source(expr='r.PostFormValue("«key»")'),
        Source(expr='r.Header.Get("«hdr»")'), Source(expr='mux.Vars(r)["«key»"]', route="/{«key»}"),
        Source(expr='r.PathValue("«key»")', route="/{«key»}"),
    ),
    handler="func «fn»(w http.ResponseWriter, r *http.Request) {\n    «body»\n}",
    responses=("w.WriteHeader(http.StatusNoContent)", 'fmt.Fprintln(w, "«msg»")',
               'json.NewEncoder(w).Encode(map[string]string{"status": "ok"})', 'w.Write([]byte("«msg»"))'),
    bail='http.Error(w, "«msg»", http.StatusBadRequest)\nreturn',
    bail_err='http.Error(w, "internal error", http.StatusInternalServerError)\nreturn',
    footer='func main() {\n    «routes»\n    log.Fatal(http.ListenAndServe(":«port»", nil))\n}',
    route_line='http.HandleFunc("«route»", «fn»)',
)

GIN = Framework(
    name="gin",
    imports=("github.com/gin-gonic/gin",),
    sources=(
        Source(expr='c.Query("«key»")'), Source(expr='c.PostForm("«key»")'), Source(expr='c.Param("«key»")', route="/:«key»"),
        Source(expr='c.GetHeader("«hdr»")'), Source(expr='c.DefaultQuery("«key»", "«word»")'),
    ),
    handler="func «fn»(c *gin.Context) {\n    «body»\n}",
    responses=('c.JSON(http.StatusOK, gin.H{"status": "ok"})', "c.Status(http.StatusNoContent)",
               'c.String(http.StatusOK, "«msg»")'),
    bail="c.AbortWithStatus(http.StatusBadRequest)\nreturn",
    bail_err='c.AbortWithStatusJSON(http.StatusInternalServerError, gin.H{"error": "internal error"})\nreturn',
    footer='func main() {\n    r := gin.Default()\n    «routes»\n    r.Run(":«port»")\n}',
    route_line='r.«method»("«route»", «fn»)',
)

LIBRARY = Framework(
    name="library",
    sources=(
        Source(param="«v» string"), Source(expr='os.Getenv("«CONST»")'), Source(expr="os.Args[1]"), Source(expr="flag.Arg(0)"),
        Source(param="«v» string"),
    ),
    handler="// «fn» «doc»\nfunc «fn»(«params») error {\n    «body»\n}",
    responses=("return nil",),
    bail='return fmt.Errorf("«msg»")',
    bail_err="return err",
)

ECHO = Framework(
    name="echo",
    held=True,
    imports=("github.com/labstack/echo/v4",),
    sources=(
        Source(expr='c.QueryParam("«key»")'), Source(expr='c.FormValue("«key»")'), Source(expr='c.Param("«key»")', route="/:«key»"),
        Source(expr='c.Request().Header.Get("«hdr»")'),
    ),
    handler="func «fn»(c echo.Context) error {\n    «body»\n}",
    responses=('return c.JSON(http.StatusOK, map[string]string{"status": "ok"})', "return c.NoContent(http.StatusNoContent)",
               'return c.String(http.StatusOK, "«msg»")'),
    bail='return c.String(http.StatusBadRequest, "«msg»")',
    bail_err="return err",
    footer='func main() {\n    e := echo.New()\n    «routes»\n    e.Logger.Fatal(e.Start(":«port»"))\n}',
    route_line='e.«method»("«route»", «fn»)',
)

ROWS = "if err != nil {\n    «bail_err»\n}\ndefer «id».Close()"

SPECS = [
    spec("CWE-89", [
        V('«id», err := ⟦«db».Query("SELECT «col» FROM «tbl» WHERE «col2» = \'" + «v» + "\'")⟧\n' + ROWS),
        V('«id», err := ⟦«db».Query(fmt.Sprintf("SELECT * FROM «tbl» WHERE «col» = \'%s\'", «v»))⟧\n' + ROWS),
        V('if _, err := ⟦«db».Exec("DELETE FROM «tbl» WHERE «col» = " + «v»)⟧; err != nil {\n    «bail_err»\n}'),
        V('«id» := «db».QueryRow(⟦fmt.Sprintf("SELECT «col» FROM «tbl» WHERE «col2» = \'%s\'", «v»)⟧)\nvar «id2» string\n_ = «id».Scan(&«id2»)'),
        V('var «id» []«Cls»\n⟦«gorm».Raw("SELECT * FROM «tbl» WHERE «col» = \'" + «v» + "\'")⟧.Scan(&«id»)'),
        V('var «id» []«Cls»\n⟦«gorm».Where(fmt.Sprintf("«col» LIKE \'%%%s%%\'", «v»))⟧.Find(&«id»)', held=True),
        V('«id» := "SELECT «col» FROM «tbl» ORDER BY " + «v»\n«id2», err := ⟦«db».Query(«id»)⟧\nif err != nil {\n    «bail_err»\n}\ndefer «id2».Close()', held=True),
        S('«id», err := «db».Query("SELECT «col» FROM «tbl» WHERE «col2» = ?", «v»)\n' + ROWS),
        S('«id», err := «db».Query("SELECT * FROM «tbl» WHERE «col» = $1", «v»)\n' + ROWS),
        S('if _, err := «db».Exec("DELETE FROM «tbl» WHERE «col» = ?", «v»); err != nil {\n    «bail_err»\n}'),
        S('var «id» []«Cls»\n«gorm».Where("«col» = ?", «v»).Find(&«id»)'),
        S('«id» := «db».QueryRow("SELECT COUNT(*) FROM «tbl»")\nvar «id2» int\n_ = «id».Scan(&«id2»)'),
        S('var «id» []«Cls»\n«gorm».Where(&«Cls»{«Col»: «v»}).Find(&«id»)', held=True),
    ], [San('if !regexp.MustCompile(`^[A-Za-z0-9_]+$`).MatchString(«in») {\n    «bail»\n}', guard=True),
        San("if _, err := strconv.Atoi(«in»); err != nil {\n    «bail»\n}", guard=True),
        San('if strings.ContainsAny(«in», "\'\\";-") {\n    «bail»\n}', guard=True, held=True)], weight=1.6),
    spec("CWE-78", [
        V('«id», err := ⟦exec.Command("sh", "-c", "«cmd» "+«v»).Output()⟧\nif err != nil {\n    «bail_err»\n}\n_ = «id»'),
        V('«id» := ⟦exec.Command("bash", "-c", fmt.Sprintf("«cmd» %s", «v»))⟧\nif err := «id».Run(); err != nil {\n    «bail_err»\n}'),
        V('«id» := "«cmd» " + «v»\nif err := ⟦exec.Command("/bin/sh", "-c", «id»).Run()⟧; err != nil {\n    «bail_err»\n}', held=True),
        S('«id», err := exec.Command("«prog»", «v»).Output()\nif err != nil {\n    «bail_err»\n}\n_ = «id»'),
        S('«id» := exec.Command("«prog»", "--", «v»)\nif err := «id».Run(); err != nil {\n    «bail_err»\n}'),
        S('if err := exec.Command("sh", "-c", "«cmd» «dir»").Run(); err != nil {\n    «bail_err»\n}'),
        S('«id» := exec.CommandContext(context.Background(), "«prog»", «v»)\n_ = «id».Run()', held=True),
    ], [San('if !regexp.MustCompile(`^[\\w.-]+$`).MatchString(«in») {\n    «bail»\n}', guard=True)], weight=1.4),
    spec("CWE-79", [
        V('⟦fmt.Fprintf(w, "<h1>«word» %s</h1>", «v»)⟧', frameworks=("net/http",)),
        V('⟦w.Write([]byte("<p>" + «v» + "</p>"))⟧', frameworks=("net/http",)),
        V('w.Header().Set("Content-Type", "text/html")\n⟦io.WriteString(w, "<div>"+«v»+"</div>")⟧', frameworks=("net/http",)),
        V('⟦c.Data(http.StatusOK, "text/html; charset=utf-8", []byte("<b>"+«v»+"</b>"))⟧', frameworks=("gin",)),
        V('«id» := template.Must(template.New("«word»").Parse(`<p>{{.}}</p>`))\n«id».Execute(w, ⟦template.HTML(«v»)⟧)',
          frameworks=("net/http",), imports=("html/template",)),
        V('return ⟦c.HTML(http.StatusOK, "<p>"+«v»+"</p>")⟧', frameworks=("echo",), terminal=True),
        S('fmt.Fprintf(w, "<h1>«word» %s</h1>", html.EscapeString(«v»))', frameworks=("net/http",)),
        S('«id» := template.Must(template.New("«word»").Parse(`<p>{{.}}</p>`))\n«id».Execute(w, «v»)',
          frameworks=("net/http",), imports=("html/template",)),
        S('w.Header().Set("Content-Type", "text/plain")\nio.WriteString(w, «v»)', frameworks=("net/http",)),
        S('c.JSON(http.StatusOK, gin.H{"«key»": «v»})', frameworks=("gin",)),
        S('c.Data(http.StatusOK, "text/html; charset=utf-8", []byte("<b>"+html.EscapeString(«v»)+"</b>"))', frameworks=("gin",)),
        S('return c.HTML(http.StatusOK, "<p>"+html.EscapeString(«v»)+"</p>")', frameworks=("echo",), terminal=True),
    ], [San("«out» := html.EscapeString(«in»)"), San("«out» := template.HTMLEscapeString(«in»)", imports=("html/template",), held=True)],
        weight=1.3),
    spec("CWE-22", [
        V('«id», err := ⟦os.ReadFile(filepath.Join(«BASE», «v»))⟧\nif err != nil {\n    «bail_err»\n}\n_ = «id»'),
        V('«id», err := ⟦os.Open(«BASE» + "/" + «v»)⟧\nif err != nil {\n    «bail_err»\n}\ndefer «id».Close()'),
        V("⟦http.ServeFile(w, r, filepath.Join(«BASE», «v»))⟧", frameworks=("net/http",)),
        V("⟦c.File(«BASE» + «v»)⟧", frameworks=("gin",)),
        V('if err := ⟦os.Remove(path.Join(«BASE», «v»))⟧; err != nil {\n    «bail_err»\n}', held=True),
        S('«id», err := os.ReadFile(filepath.Join(«BASE», filepath.Base(«v»)))\nif err != nil {\n    «bail_err»\n}\n_ = «id»'),
        S('«id» := filepath.Join(«BASE», filepath.Clean("/"+«v»))\nif !strings.HasPrefix(«id», «BASE») {\n    «bail»\n}\n«id2», err := os.Open(«id»)\nif err != nil {\n    «bail_err»\n}\ndefer «id2».Close()'),
        S('«id», err := os.ReadFile(filepath.Join(«BASE», "«file»"))\nif err != nil {\n    «bail_err»\n}\n_ = «id»'),
        S('«id», err := os.OpenInRoot(«BASE», «v»)\nif err != nil {\n    «bail_err»\n}\ndefer «id».Close()', held=True),
    ], [San("«out» := filepath.Base(«in»)"),
        San('if strings.Contains(«in», "..") {\n    «bail»\n}', guard=True, held=True)], weight=1.3),
    spec("CWE-798", [
        V('⟦const «SEC» = "«secret»"⟧', kind="module"),
        V('«id», err := ⟦sql.Open("mysql", "«word»:«pw»@tcp(«host»:3306)/«word2»")⟧\nif err != nil {\n    «bail_err»\n}\n_ = «id»', kind="plain"),
        V('«id», _ := http.NewRequest("GET", "«url»", nil)\n⟦«id».Header.Set("Authorization", "Bearer «secret»")⟧', kind="plain"),
        V('«id», _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"«key»": «v»}).SignedString(⟦[]byte("«secret»")⟧)', kind="plain", held=True),
        S('var «SEC» = os.Getenv("«SEC»")', kind="module"),
        S('«id», err := sql.Open("mysql", os.Getenv("«SEC»"))\nif err != nil {\n    «bail_err»\n}\n_ = «id»', kind="plain"),
        S('«id», _ := http.NewRequest("GET", "«url»", nil)\n«id».Header.Set("Authorization", "Bearer "+os.Getenv("«SEC»"))', kind="plain"),
        S('const «CONST» = "«word»"', kind="module"),
        S('«id», _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"«key»": «v»}).SignedString([]byte(os.Getenv("«SEC»")))', kind="plain", held=True),
    ], weight=1.1),
    spec("CWE-327", [
        V("«id», err := ⟦des.NewCipher(«KEY»[:8])⟧\nif err != nil {\n    «bail_err»\n}\n_ = «id»", kind="plain"),
        V("«id», err := ⟦rc4.NewCipher(«KEY»)⟧\nif err != nil {\n    «bail_err»\n}\n_ = «id»", kind="plain"),
        V("«id», err := ⟦des.NewTripleDESCipher(«KEY»[:24])⟧\nif err != nil {\n    «bail_err»\n}\n_ = «id»", kind="plain", held=True),
        S("«id», err := aes.NewCipher(«KEY»)\nif err != nil {\n    «bail_err»\n}\n«id2», err := cipher.NewGCM(«id»)\nif err != nil {\n    «bail_err»\n}\n_ = «id2»", kind="plain"),
        S("«id», err := chacha20poly1305.New(«KEY»)\nif err != nil {\n    «bail_err»\n}\n_ = «id»", kind="plain", held=True),
    ], weight=0.8),
    spec("CWE-328", [
        V("«id» := ⟦md5.Sum([]byte(«v»))⟧\n_ = hex.EncodeToString(«id»[:])", kind="plain"),
        V("«id» := ⟦sha1.Sum([]byte(«v»))⟧\n_ = «id»", kind="plain"),
        V("«id» := ⟦md5.New()⟧\n«id».Write([]byte(«v»))\n_ = «id».Sum(nil)", kind="plain", held=True),
        S("«id» := sha256.Sum256([]byte(«v»))\n_ = hex.EncodeToString(«id»[:])", kind="plain"),
        S("«id», err := bcrypt.GenerateFromPassword([]byte(«v»), bcrypt.DefaultCost)\nif err != nil {\n    «bail_err»\n}\n_ = «id»", kind="plain"),
        S("«id» := argon2.IDKey([]byte(«v»), «salt», 1, 64*1024, 4, 32)\n_ = «id»", kind="plain", held=True),
    ], weight=0.9),
    spec("CWE-338", [
        V('«sec» := fmt.Sprintf("%06d", ⟦rand.Intn(1000000)⟧)', kind="plain"),
        V("«sec» := strconv.FormatInt(⟦rand.Int63()⟧, 36)", kind="plain"),
        V("«id» := make([]byte, 16)\nfor i := range «id» {\n    «id»[i] = byte(⟦rand.Intn(256)⟧)\n}", kind="plain", held=True),
        S("«id» := make([]byte, 32)\nif _, err := rand.Read(«id»); err != nil {\n    «bail_err»\n}\n«sec» := hex.EncodeToString(«id»)", kind="plain"),
        S("«id», err := rand.Int(rand.Reader, big.NewInt(1000000))\nif err != nil {\n    «bail_err»\n}\n_ = «id»", kind="plain"),
        S("«id» := time.Duration(rand.Intn(«num»)) * time.Millisecond\ntime.Sleep(«id»)", kind="plain"),
        S("«sec» := uuid.NewString()", kind="plain", held=True),
    ], weight=0.9),
    spec("CWE-295", [
        V("«id» := &http.Client{Transport: &http.Transport{\n    TLSClientConfig: &tls.Config{⟦InsecureSkipVerify: true⟧},\n}}", kind="plain"),
        V("«id» := &tls.Config{⟦InsecureSkipVerify: true⟧, MinVersion: tls.VersionTLS12}", kind="plain"),
        V("http.DefaultTransport.(*http.Transport).TLSClientConfig = &tls.Config{⟦InsecureSkipVerify: true⟧}", kind="plain", held=True),
        S("«id» := &http.Client{Timeout: «num» * time.Second}", kind="plain"),
        S("«id» := &tls.Config{MinVersion: tls.VersionTLS12}", kind="plain"),
        S("«id» := &http.Client{Transport: &http.Transport{\n    TLSClientConfig: &tls.Config{RootCAs: «pool»},\n}}", kind="plain", held=True),
    ], weight=0.8),
    spec("CWE-918", [
        V("«id», err := ⟦http.Get(«v»)⟧\nif err != nil {\n    «bail_err»\n}\ndefer «id».Body.Close()"),
        V('«id», err := ⟦http.NewRequest("GET", «v», nil)⟧\nif err != nil {\n    «bail_err»\n}\n_, _ = http.DefaultClient.Do(«id»)'),
        V('«id», err := ⟦http.Get("http://" + «v» + "/«word»")⟧\nif err != nil {\n    «bail_err»\n}\ndefer «id».Body.Close()', held=True,
          sanitizable=False),
        S('«id», err := http.Get("«url»?«key»=" + url.QueryEscape(«v»))\nif err != nil {\n    «bail_err»\n}\ndefer «id».Body.Close()'),
        S('«id», err := http.Get("«url»")\nif err != nil {\n    «bail_err»\n}\ndefer «id».Body.Close()', held=True),
    ], [San('if «id», err := url.Parse(«in»); err != nil || «id».Hostname() != "«host»" {\n    «bail»\n}', guard=True)]),
    spec("CWE-601", [
        V("⟦http.Redirect(w, r, «v», http.StatusFound)⟧", frameworks=("net/http",)),
        V("⟦c.Redirect(http.StatusFound, «v»)⟧", frameworks=("gin",)),
        V("return ⟦c.Redirect(http.StatusFound, «v»)⟧", frameworks=("echo",), terminal=True),
        V('w.Header().Set("Location", «v»)\n⟦w.WriteHeader(http.StatusSeeOther)⟧', frameworks=("net/http",), held=True),
        S('http.Redirect(w, r, "/«word»", http.StatusFound)', frameworks=("net/http",)),
        S('c.Redirect(http.StatusFound, "/«word»")', frameworks=("gin",)),
        S('return c.Redirect(http.StatusFound, "/«word»")', frameworks=("echo",), terminal=True),
        S('http.Redirect(w, r, "/«word»?«key»="+url.QueryEscape(«v»), http.StatusFound)', frameworks=("net/http",), held=True),
    ], [San('if !strings.HasPrefix(«in», "/") || strings.HasPrefix(«in», "//") {\n    «bail»\n}', guard=True)]),
    spec("CWE-90", [
        V('«id» := ldap.NewSearchRequest("ou=«word»,dc=«word2»,dc=com", ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,\n'
          '    ⟦fmt.Sprintf("(uid=%s)", «v»)⟧, []string{"dn"}, nil)\n_, _ = «ldapc».Search(«id»)'),
        S('«id» := ldap.NewSearchRequest("ou=«word»,dc=«word2»,dc=com", ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,\n'
          '    fmt.Sprintf("(uid=%s)", ldap.EscapeFilter(«v»)), []string{"dn"}, nil)\n_, _ = «ldapc».Search(«id»)'),
    ], [San("«out» := ldap.EscapeFilter(«in»)")], weight=0.4),
    spec("CWE-117", [
        V('⟦log.Printf("«msg»: %s", «v»)⟧'),
        V('⟦log.Println("«msg» " + «v»)⟧'),
        V('⟦«slog».Info("«msg» " + «v»)⟧', held=True),
        S('log.Printf("«msg»: %q", «v»)'),
        S('log.Printf("«msg» (%d bytes)", len(«v»))'),
        S('«slog».Info("«msg»", "«key»", «v»)', held=True),
    ], [San('«out» := strings.NewReplacer("\\n", "", "\\r", "").Replace(«in»)')], weight=0.5),
    spec("CWE-532", [
        V('⟦log.Printf("login %s password=%s", «v», «sec»)⟧', kind="plain"),
        V('⟦log.Println("api key:", os.Getenv("«SEC»"))⟧', kind="plain"),
        S('log.Printf("login attempt for %s", «v»)', kind="plain"),
        S('log.Printf("api key set: %t", os.Getenv("«SEC»") != "")', kind="plain"),
    ], weight=0.4),
    spec("CWE-209", [
        V('«id», err := strconv.Atoi(«v»)\nif err != nil {\n    ⟦http.Error(w, err.Error(), http.StatusInternalServerError)⟧\n    return\n}\n_ = «id»',
          frameworks=("net/http",)),
        V('«id», err := strconv.Atoi(«v»)\nif err != nil {\n    ⟦c.JSON(http.StatusInternalServerError, gin.H{"error": err.Error()})⟧\n    return\n}\n_ = «id»',
          frameworks=("gin",)),
        V('«id», err := strconv.Atoi(«v»)\nif err != nil {\n    ⟦fmt.Fprintf(w, "error: %+v", err)⟧\n    return\n}\n_ = «id»',
          frameworks=("net/http",), held=True),
        S('«id», err := strconv.Atoi(«v»)\nif err != nil {\n    log.Printf("«msg»: %v", err)\n    http.Error(w, "bad request", http.StatusBadRequest)\n    return\n}\n_ = «id»',
          frameworks=("net/http",)),
        S('«id», err := strconv.Atoi(«v»)\nif err != nil {\n    log.Printf("«msg»: %v", err)\n    c.JSON(http.StatusBadRequest, gin.H{"error": "invalid input"})\n    return\n}\n_ = «id»',
          frameworks=("gin",)),
    ], weight=0.5),
    spec("CWE-614", [
        V('⟦http.SetCookie(w, &http.Cookie{Name: "session", Value: «v»})⟧', kind="plain", frameworks=("net/http",)),
        V('⟦http.SetCookie(w, &http.Cookie{Name: "«key»", Value: «v», HttpOnly: true})⟧', kind="plain", frameworks=("net/http",)),
        V('⟦c.SetCookie("session", «v», 3600, "/", "", false, false)⟧', kind="plain", frameworks=("gin",)),
        S('http.SetCookie(w, &http.Cookie{Name: "session", Value: «v», Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})',
          kind="plain", frameworks=("net/http",)),
        S('c.SetCookie("session", «v», 3600, "/", "", true, true)', kind="plain", frameworks=("gin",)),
    ], weight=0.5),
    spec("CWE-134", [
        V("⟦fmt.Printf(«v»)⟧"),
        V("⟦log.Printf(«v»)⟧"),
        V("⟦fmt.Fprintf(w, «v»)⟧", frameworks=("net/http",)),
        V("⟦fmt.Sprintf(«v», «num»)⟧", held=True),
        S('fmt.Printf("%s\\n", «v»)'),
        S("log.Print(«v»)"),
        S('fmt.Fprint(w, «v»)', frameworks=("net/http",)),
    ], weight=0.5),
    spec("CWE-377", [
        V('«id», err := ⟦os.Create("/tmp/" + «v» + ".«ext»")⟧\nif err != nil {\n    «bail_err»\n}\ndefer «id».Close()', kind="plain"),
        V('«id», err := ⟦os.OpenFile("/tmp/«file»", os.O_CREATE|os.O_WRONLY, 0644)⟧\nif err != nil {\n    «bail_err»\n}\ndefer «id».Close()', kind="plain"),
        S('«id», err := os.CreateTemp("", "«word»-*.«ext»")\nif err != nil {\n    «bail_err»\n}\ndefer os.Remove(«id».Name())', kind="plain"),
        S('«id», err := os.MkdirTemp("", "«word»")\nif err != nil {\n    «bail_err»\n}\ndefer os.RemoveAll(«id»)', kind="plain"),
    ], weight=0.4),
    spec("CWE-943", [
        V('«id» := «mongo».FindOne(context.TODO(), ⟦bson.M{"$where": "this.«key» == \'" + «v» + "\'"}⟧)\n_ = «id»'),
        S('«id» := «mongo».FindOne(context.TODO(), bson.M{"«key»": «v»})\n_ = «id»'),
    ], weight=0.4),
]

MODULE_FILLERS = fillers(L, "module", [
    "// «Cls» «doc»\ntype «Cls» struct {\n    «Col» string `json:\"«key»\"`\n    «Col2» int    `json:\"«key2»\"`\n}",
    "func «fn»(«id» []int) int {\n    «id2» := 0\n    for _, «id3» := range «id» {\n        «id2» += «id3»\n    }\n    return «id2»\n}",
    "const (\n    «CONST» = «num»\n    «CONST2» = \"«word»\"\n)",
    "func «fn»(«id» string, «id2» int) string {\n    if len(«id») > «id2» {\n        return «id»[:«id2»] + \"...\"\n    }\n    return «id»\n}",
    "func «fn»(«id» []string) map[string]int {\n    «id2» := make(map[string]int)\n    for _, «id3» := range «id» {\n        «id2»[strings.ToLower(«id3»)]++\n    }\n    return «id2»\n}",
    "func «fn»(«id» time.Time) string {\n    return «id».UTC().Format(\"2006-01-02\")\n}",
    "var «id» = map[string]string{\n    \"«key»\": \"«word»\",\n    \"«key2»\": \"«word2»\",\n}",
    "func «fn»(«id» func() error, attempts int) error {\n    var err error\n    for i := 0; i < attempts; i++ {\n        if err = «id»(); err == nil {\n"
    "            return nil\n        }\n        time.Sleep(time.Duration(i+1) * 100 * time.Millisecond)\n    }\n    return err\n}",
    ("type «Cls» interface {\n    «Fn»(string) (string, error)\n}", {"held": True}),
    ("func «fn»(«id», «id2» int) (int, int) {\n    if «id» < 1 {\n        «id» = 1\n    }\n    return («id» - 1) * «id2», «id2»\n}", {"held": True}),
    "type «Cls» struct {\n    mu sync.Mutex\n    «id» map[string]int\n}\n\nfunc (s *«Cls») «Fn»(«id2» string) int {\n    s.mu.Lock()\n"
    "    defer s.mu.Unlock()\n    s.«id»[«id2»]++\n    return s.«id»[«id2»]\n}",
    "var «id» = errors.New(\"«msg»\")",
    "func «fn»(«id» map[string]any) ([]byte, error) {\n    return json.MarshalIndent(«id», \"\", \"  \")\n}",
    "func «fn»(«id» []string) []string {\n    «id2» := append([]string(nil), «id»...)\n    sort.Strings(«id2»)\n    return «id2»\n}",
    "func «fn»(«id» string) int {\n    switch «id» {\n    case \"«word»\":\n        return 1\n    case \"«word2»\":\n        return 2\n"
    "    default:\n        return 0\n    }\n}",
    ("func «fn»(parent context.Context) (context.Context, context.CancelFunc) {\n    return context.WithTimeout(parent, «num»*time.Second)\n}",
     {"held": True}),
])
STMT_FILLERS = fillers(L, "stmt", [
    "«id» := time.Now()\n_ = «id»", 'log.Println("«msg»")', "// «doc»", "«id» := make([]string, 0, «num»)\n_ = «id»",
    '«id» := map[string]int{"«key»": «num»}\n_ = «id»', ("// TODO: «msg»", {"held": True}),
])

_PKGS = {
    "fmt": "fmt", "http": "net/http", "sql": "database/sql", "os": "os", "exec": "os/exec", "io": "io", "filepath": "path/filepath",
    "path": "path", "strings": "strings", "strconv": "strconv", "md5": "crypto/md5", "sha1": "crypto/sha1",
    "sha256": "crypto/sha256", "des": "crypto/des", "aes": "crypto/aes", "cipher": "crypto/cipher", "rc4": "crypto/rc4",
    "tls": "crypto/tls", "hex": "encoding/hex", "json": "encoding/json", "log": "log", "regexp": "regexp", "html": "html",
    "url": "net/url", "time": "time", "context": "context", "errors": "errors", "big": "math/big", "flag": "flag",
    "mux": "github.com/gorilla/mux", "bcrypt": "golang.org/x/crypto/bcrypt", "argon2": "golang.org/x/crypto/argon2",
    "chacha20poly1305": "golang.org/x/crypto/chacha20poly1305", "jwt": "github.com/golang-jwt/jwt/v5",
    "ldap": "github.com/go-ldap/ldap/v3", "bson": "go.mongodb.org/mongo-driver/bson", "uuid": "github.com/google/uuid",
    "gorm": "gorm.io/gorm", "sync": "sync", "sort": "sort", "slog": "log/slog", "x509": "crypto/x509", "mongo": "go.mongodb.org/mongo-driver/mongo",
}
_CRYPTO_RAND = ("rand.Read(", "rand.Reader", "rand.Int(rand.Reader")


class GoKit(Kit):
    name = L
    ext = ".go"
    style = NameStyle(var="camel", func="camel")
    indents = (("\t", 1.0),)
    frameworks = (NET_HTTP, GIN, LIBRARY, ECHO)
    specs = tuple(SPECS)
    fillers = MODULE_FILLERS + STMT_FILLERS
    transforms = ("«out» := strings.TrimSpace(«in»)", "«out» := strings.ToLower(«in»)", '«out» := fmt.Sprintf("%s", «in»)',
                  '«out» := strings.TrimSuffix(«in», "/")')
    neutral_uses = ("if len(«var») > «num» {\n    «bail»\n}", 'log.Printf("«msg» (%d bytes)", len(«var»))',
                    'if «var» == "" {\n    «bail»\n}')
    helper_bail = 'return errors.New("«msg»")'
    helper_bail_err = "return err"
    auto_imports = tuple((f"{name}.", pkg) for name, pkg in _PKGS.items())
    file_slots: ClassVar[dict[str, tuple[str, ...]]] = {
        "db": ("db", "conn", "database"), "gorm": ("orm", "gdb"), "BASE": ("baseDir", "uploadDir", "dataRoot"),
        "KEY": ("secretKey", "encKey"), "salt": ("salt",), "ldapc": ("ldapConn", "directory"), "slog": ("logger",),
        "mongo": ("collection", "coll"), "pool": ("rootCAs", "caPool"), "port": ("8080", "8000", "3000"),
    }
    slot_decls: ClassVar[dict[str, str]] = {
        "db": "var «db» *sql.DB",
        "gorm": "var «gorm» *gorm.DB",
        "BASE": 'const «BASE» = "«dir»"',
        "KEY": 'var «KEY» = []byte(os.Getenv("«CONST»"))',
        "salt": "var «salt» = []byte(os.Getenv(\"«CONST»_SALT\"))",
        "ldapc": "var «ldapc» *ldap.Conn",
        "slog": "var «slog» = slog.Default()",
        "mongo": "var «mongo» *mongo.Collection",
        "pool": "var «pool» = x509.NewCertPool()",
    }

    def file_slot_makers(self, rng: random.Random):
        makers = super().file_slot_makers(rng)
        return makers

    def assign(self, var: str, expr: str) -> str:
        return f"{var} := {expr}"

    def call(self, fn: str, args: list[str], bag: Bag) -> str:
        return f"if err := {fn}({', '.join(args)}); err != nil {{\n    «bail_err»\n}}"

    def helper(self, fn: str, params: list[str], body: str, bag: Bag) -> str:
        doc = f"// {fn} «doc»\n" if bag.namer.rng.random() < 0.5 else ""
        sig = ", ".join(params) + " string" if params else ""
        return fill(f"{doc}func {fn}({sig}) error {{\n    «body»\n    return nil\n}}", bag.child(body=body))

    def path(self, rng: random.Random, namer, framework: Framework, bag: Bag) -> str:
        if bag["gopkg"] == "main":
            return rng.choice(("main.go", f"cmd/{namer.word()}/main.go", f"{namer.word()}.go"))
        return f"internal/{bag['gopkg']}/{namer.word()}.go"

    def render(self, parts: FileParts, framework: Framework, bag: Bag, rng: random.Random) -> str:
        is_main = framework.footer and rng.random() < 0.75
        bag.values["gopkg"] = "main" if is_main else bag.namer.word()
        body = join_blocks(parts.blocks, 1)
        footer = ""
        if is_main:
            lines = [fill(framework.route_line, bag.child(fn=fn, route=route, method=method))
                     for fn, route, method in parts.handlers]
            footer = fill(framework.footer, bag.child(routes="\n".join(lines) or "// no routes"))
        decls = "\n".join(parts.decls)
        text = "\n\n".join(x for x in (decls, body, footer) if x)
        imports = list(parts.imports)
        for name, pkg in _PKGS.items():
            if uses(text, name + ".") and pkg not in imports:
                imports.append(pkg)
        if uses(text, "rand."):
            crypto = any(t in text for t in _CRYPTO_RAND)
            math = any(uses(text, t) for t in ("rand.Intn(", "rand.Int63(", "rand.Float64(", "rand.Seed("))
            if crypto and math:
                for t in _CRYPTO_RAND:
                    text = text.replace(t, "c" + t.replace("rand.Reader", "crand.Reader"))
                imports += ['crand "crypto/rand"', "math/rand"]
            else:
                imports.append("crypto/rand" if crypto else "math/rand")
        if "html/template" in imports and "html" in imports and not uses(text, "html."):
            imports.remove("html")
        std = sorted(i for i in imports if "." not in i.split("/")[0] and not i.startswith("crand"))
        std += [i for i in imports if i.startswith("crand")]
        ext = sorted(i for i in imports if "." in i.split("/")[0])
        lines = [f'\t"{i}"' if not i.startswith("crand") else f"\t{i}" for i in std]
        if ext:
            lines += [""] + [f'\t"{i}"' for i in ext]
        head = fill("package «gopkg»", bag)
        if rng.random() < 0.3:
            head = fill("// Package «gopkg» «doc»\n", bag.child()) + head
        import_block = "import (\n" + "\n".join(lines) + "\n)" if lines else ""
        return "\n\n".join(x for x in (head, import_block, text) if x) + "\n"


KIT = GoKit()

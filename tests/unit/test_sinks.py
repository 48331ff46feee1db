"""The per-CWE sink patterns behind ``labels.sink_check``: what they keep and what they drop."""

from __future__ import annotations

import pytest

from aegis_cli.mini.datagen import CWE_CATALOG, generate
from aegis_cli.scan.sinks import SINK_PATTERNS, fits_sink


def test_every_cwe_the_model_can_name_has_a_pattern():
    assert set(CWE_CATALOG) <= set(SINK_PATTERNS)


@pytest.mark.parametrize(("cwe", "line"), [
    ("CWE-89", 'cur.execute("SELECT * FROM users WHERE name = \'" + name + "\'")'),
    ("CWE-78", "os.system('ping -c 1 ' + host)"),
    ("CWE-798", 'DB_PASSWORD = "hunter2"'),
    ("CWE-798", "const apiKey = `sk_live_abc123`;"),
    ("CWE-22", "return send_file(os.path.join(BASE, name))"),
    ("CWE-328", "digest = hashlib.md5(password.encode()).hexdigest()"),
    ("CWE-502", "session = Marshal.load(Base64.decode64(cookies[:session]))"),
    ("CWE-601", "return redirect(request.args.get('next'))"),
    ("CWE-601", "response.sendRedirect(url);"),
    ("CWE-601", "redirect params[:url]"),
    ("CWE-601", 'return "redirect:" + target;'),
    ("CWE-601", "http.Redirect(w, r, target, http.StatusFound)"),
    ("CWE-601", "window.location.href = next;"),
])
def test_real_sinks_fit_their_cwe(cwe, line):
    assert fits_sink(cwe, line)


@pytest.mark.parametrize(("cwe", "line"), [
    # a model misreading a name as a credential: no literal on the line
    ("CWE-798", "function deliverOlive(order) {"),
    ("CWE-798", "const wickerOlive = new Map();"),
    ("CWE-89", "for item in basket:"),
    ("CWE-328", "return len(self.items)"),
    ("CWE-502", "[return: MarshalAs(UnmanagedType.Interface)]"),  # C# interop, not deserialisation
    ("CWE-601", "class RedirectHandler {"),  # names holding the word
    ("CWE-601", "return $this->FollowRedirects;"),
    ("CWE-601", "module.exports.NotFoundError = class NotFoundError extends Error {"),
])
def test_lines_that_cannot_be_a_sink_of_the_cwe_do_not_fit(cwe, line):
    assert not fits_sink(cwe, line)


@pytest.mark.parametrize("line", [
    'password = "admin"',
    '$db = mysqli_connect("localhost", "root", "");',
    'db, err := sql.Open("postgres", "postgres://app:s3cret@db.internal/app")',
    'AWS_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"',
    "const token = jwt.sign(payload, 'DpcUbHxFonxFBjGS');",
    'r = requests.get(url, auth=("admin", "admin"))',
    'if (strcmp(input, "Tr0ub4dor") == 0) {',
    'private static final String privateKey = "MIIEvQIBADANBgkqhkiG";',
])
def test_hard_coded_credentials_fit_cwe_798(line):
    assert fits_sink("CWE-798", line)


@pytest.mark.parametrize("line", [
    # literals of ordinary code (from real library code where the model raised CWE-798)
    "define('CURLOPT_PASSWORD', 10174);",
    '[Guid("6380BCFF-41D3-4B2E-8B2E-BF8A6810C848")]',
    '#include "pystrtod.h"',
    "const kOnConnect = Symbol('onConnect')",
    'try("4 0 fe ff", "invalid code lengths set", 1);',
    "const win8SDK = 'Microsoft.VisualStudio.Component.Windows81SDK'",
    "elif c in \"abcdefgh\":",
])
def test_ordinary_literals_do_not_fit_cwe_798(line):
    assert not fits_sink("CWE-798", line)


@pytest.mark.parametrize("line", [
    "r = requests.get(url, verify=False)",
    "ctx.verify_mode = ssl.CERT_NONE",
    "curl_setopt($ch, CURLOPT_SSL_VERIFYPEER, false);",
    "curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);",
    "tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}",
    "const agent = new https.Agent({ rejectUnauthorized: false });",
    "public void checkServerTrusted(X509Certificate[] chain, String authType) {}",
    "HttpsURLConnection.setDefaultHostnameVerifier((host, session) -> true);",
    "SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);",
    "ctx = ssl._create_unverified_context()",
])
def test_certificate_checks_turned_off_fit_cwe_295(line):
    assert fits_sink("CWE-295", line)


@pytest.mark.parametrize("line", [
    # TLS words where nothing is turned off
    "$req = new GetHostnameRequest();",
    "curl_setopt($ch, CURLOPT_SSL_VERIFYPEER, true);",
    "int verify_file(const char* xml_file, const char* key_file);",
    "$this->apiProxyMock->verify();",
    "define('CURL_SSLVERSION_TLSv1', 1);",
    "$this->request->setMustValidateServerCertificate(true);",
])
def test_tls_words_without_turning_a_check_off_do_not_fit_cwe_295(line):
    assert not fits_sink("CWE-295", line)


def test_unknown_or_missing_cwes_are_never_dropped():
    assert fits_sink(None, "anything")
    assert fits_sink("CWE-99999", "anything")


def test_every_generated_sink_fits_its_pattern():
    """The scan-time check must never drop a sink the generator labels (train and held-out)."""
    checked = 0
    for split in ("train", "heldout", "calibration"):
        for sample in generate(600, seed=23, split=split):
            for finding, sink in zip(sample.findings, sample.meta["sinks"], strict=True):
                assert fits_sink(finding["cwe"], sink), (sample.path, finding, sink)
                checked += 1
    assert checked > 300

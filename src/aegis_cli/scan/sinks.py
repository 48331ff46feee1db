"""What the sink of a CWE is spelt with: a plausibility check for line-level findings.

``SINK_PATTERNS`` maps a CWE to a case-insensitive regular expression one of whose tokens every
sink of that CWE contains, in any of the languages aegis scans (a hard-coded credential holds a
quote, ``=`` or a secret's name; an SQL injection holds ``execute``, ``query``, ``SELECT`` …).
The aegis-mini data generator proves every label it writes against it, and a token classifier
whose preset sets ``labels.sink_check`` drops a finding whose lines hold none of its CWE's tokens
(a CWE-798 finding on ``function deliverOlive(order) {`` is a model misreading a name, not a
credential). CWEs without a pattern are never dropped. No heavy imports: the scan path uses it.

Two CWEs whose tokens are everywhere in ordinary code get a second, stricter test
(``_EXTRA_CHECKS``), measured on real library code, where these two made most of aegis-mini's
alarms (benchmarks/mini_real_code_alarms.py):

* CWE-798 (hard-coded credential): a quote is not enough. The lines must hold a literal that is
  not just a constant's or a dotted name (``'CURLOPT_PASSWORD'``, ``'a.b.c'``) nor a UUID, and
  either a credential's context (``password``, ``secret``, ``token``, ``Bearer``, ``connect(`` …)
  or a literal that looks like a secret: 8+ characters without spaces, with letters and digits or
  many capitals and small letters out of word order, or ``user:pass@`` inside a URL or DSN.
* CWE-295 (certificate checks off): a TLS word is not enough. The lines must also turn something
  off: ``false``, ``0``, ``CERT_NONE``/``VERIFY_NONE``, ``insecure``, ``unverified``, ``trust all``,
  ``=> true``/``return true`` (a callback that accepts every certificate) or an empty method body.
"""

from __future__ import annotations

import functools
import re

SINK_PATTERNS: dict[str, str] = {
    "CWE-22": r"open|file|File|read|send|Path|path|copy|remove|unlink|extract|include|require|fs\.|Stream|stream|download|serve",
    "CWE-78": r"capture|system|exec|popen|Popen|spawn|run|call|Command|shell|Process|passthru|`|%x|check_output|getoutput",
    "CWE-79": r"<|html|HTML|Html|autoescape|innerHTML|write|send|echo|print|Markup|mark_safe|raw|Content|render|body",
    "CWE-89": r"order|execute|query|Query|exec|raw|prepare|sql|Sql|SQL|select|SELECT|read_sql|find_by_sql|where|Exec|FromSql|update|Update|delete|insert|CommandText|DELETE|UPDATE|INSERT",
    "CWE-90": r"search|Search|Filter|filter|ldap|uid=|cn=",
    "CWE-94": r"inline|import|from_string|exec|compile|render|Template|Function|vm\.|eval|template|Compile|instance_eval|class_eval|create_function|ScriptEngine|setTimeout|setInterval|send|constantize|include|require|call_user_func|preg_replace|\$\w+\(",
    "CWE-95": r"eval|assert",
    "CWE-117": r"log|Log|info|warn|error|debug|print",
    "CWE-120": r"strcpy|strcat|sprintf|memcpy|gets|scanf|vsprintf|wcscpy|strncpy|copy|\[",
    "CWE-134": r"printf|syslog|err|Printf|format",
    "CWE-190": r"\*|\+|malloc|alloc|new|calloc|realloc|<<",
    "CWE-209": r"trace|Trace|stack|Stack|message|Message|error|Error|getMessage|err|exc|exception|detail|ToString|display_errors",
    "CWE-295": r"verify|Verify|CERT_NONE|unverified|reject|Insecure|TrustManager|Hostname|VERIFYPEER|VERIFYHOST|ServerCertificate|VERIFY_NONE|TLS|ssl|SSL|checkServerTrusted|return true",
    "CWE-312": r"write|password|localStorage|setItem|put|save|insert|INSERT|execute|store|cookie|Cookie|dump|set",
    "CWE-327": r"DES|ECB|RC4|ARC4|Blowfish|des|ecb|rc4|bf-|Cipher|cipher",
    "CWE-328": r"md5|sha1|sha-1|crypt",
    "CWE-338": r"shuffle|rand|Rand|random|Random|uuid1|mt_rand|Math\.random|uniqid",
    "CWE-352": r"csrf|CSRF|Csrf|forgery|authenticity_token|IgnoreAntiforgery|Antiforgery",
    "CWE-377": r"mktemp|tmp|tempnam|tmpnam|Temp|temp",
    "CWE-416": r"\w",
    "CWE-434": r"open|save|move|write|transferTo|upload|Upload|copy|File|file|mv|Copy",
    "CWE-476": r"->|\*|\[|\.|strlen|fgets",
    "CWE-502": r"load|Load|unserialize|Unserialize|decode|Deserialize|deserialize|readObject|ReadObject|unmarshal|fromXML|parse|Parse",
    "CWE-532": r"log|Log|print|info|debug|warn|error|console|Print|puts|write",
    # a redirect with a target, not any name holding the word (class RedirectHandler, FollowRedirects, NotFoundError)
    "CWE-601": r"redirect\w*\s*\(|redirect\w*\s+[\w@$:'\"]|['\"]redirect:|redirect_to|location|header|SeeOther|StatusFound|HTTPFound|\bFound\b",
    "CWE-611": r"entit|Entit|DTD|dtd|Feature|feature|XMLParser|noent|NOENT|Resolver|DtdProcessing|resolve|parse|load|Load|disable_entity|XmlReader|external",
    "CWE-614": r"[Cc]ookie|Secure|secure",
    "CWE-643": r"xpath|XPath|evaluate|select|query|Query|find|Select|compile|Evaluate",
    "CWE-676": r"gets|strtok|scanf|sprintf|strcpy|atoi|system|cin",
    "CWE-787": r"\[",
    "CWE-798": r"['\"`]",  # a credential written into code is a literal
    "CWE-918": r"get|Get|open|fetch|request|Request|urlopen|curl|http|Http|HTTP|URL|url|post|Post|Download|axios|file_get_contents",
    "CWE-943": r"find|where|\$|aggregate|Find|query",
    "CWE-1321": r"\[|merge|assign|extend|set|__proto__|defaults",
    "CWE-319": r"http://|FTP|telnet|SMTP|urlopen",
    "CWE-326": r"generate|key_size|bits|1024|512",
    "CWE-489": r"debug|DEBUG",
    "CWE-732": r"chmod|makedirs|umask|mkdir|Permission",
    "CWE-1333": r"re\.|RegExp|Regex|regex|Pattern|compile|match|preg_|MatchString|=~|Match|test|search|new",
}


_CREDENTIAL_CONTEXT = re.compile(
    r"passw|\bpass\b|pass_|_pass\b|passphrase|\bpw\b|pwd|secret|token|api_?key|_key\b|\bkey\s*[:=]|"
    r"(?:private|access|signing|auth|encryption|master)_?key|bearer|credential|"
    r"authorization|\bauth\s*[=:(]|\blogin\s*\(|connect\w*\s*\(|conn(?:ection)?_?str|\bdsn\b", re.I)
_LITERAL = re.compile(r"""(['"`])((?:(?!\1)[^\\\n]|\\.)*)\1""")
_NAME = re.compile(r"[A-Z][A-Z0-9]*_[A-Z0-9_]+|[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")  # CONSTANT_NAME, dotted.name
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
_USERINFO = re.compile(r"[\w.%-]+:[^@\s'\"/]+@")  # user:password@ in a URL or DSN
_SECRET_CHARS = re.compile(r"[A-Za-z0-9_\-+/=.!@#$%&*:~]+")
_WORDS = re.compile(r"[/.]?(?:[A-Za-z][a-z]+)+")  # camelCase / PascalCase words, a path of one


def _looks_secret(text: str) -> bool:
    if len(text) < 8 or any(c.isspace() for c in text):
        return False
    if _USERINFO.search(text):
        return True
    if not _SECRET_CHARS.fullmatch(text):
        return False
    letters = sum(c.isalpha() for c in text)
    if letters and any(c.isdigit() for c in text):
        return True
    upper = sum(c.isupper() for c in text)
    return len(text) >= 12 and upper >= 4 and letters - upper >= 4 and not _WORDS.fullmatch(text)


def _credential(text: str) -> bool:
    literals = [m.group(2) for m in _LITERAL.finditer(text)]
    literals = [t for t in literals if not _NAME.fullmatch(t) and not _UUID.fullmatch(t)]
    if not literals:
        return False
    return _CREDENTIAL_CONTEXT.search(text) is not None or any(_looks_secret(t) for t in literals)


_TLS_CHECK_OFF = re.compile(
    r"false|\b0L?\b|CERT_NONE|VERIFY_NONE|unverified|insecure|noop|dangerous|trust_?all|allow_?all|accept_?all|"
    r"(?:=>|->|return)\s*true|\{\s*\}", re.I)

_EXTRA_CHECKS = {
    "CWE-798": _credential,
    "CWE-295": lambda text: _TLS_CHECK_OFF.search(text) is not None,
}


@functools.cache
def _compiled(cwe: str) -> re.Pattern[str] | None:
    pattern = SINK_PATTERNS.get(cwe)
    return re.compile(pattern, re.I) if pattern is not None else None


def fits_sink(cwe: str | None, text: str) -> bool:
    """True when ``text`` (a finding's lines) holds something a sink of ``cwe`` is spelt with.

    Unknown CWEs (and findings without one) always fit: the check only removes what it can judge.
    """
    compiled = _compiled(cwe) if cwe else None
    if compiled is None:
        return True
    if compiled.search(text) is None:
        return False
    extra = _EXTRA_CHECKS.get(cwe)  # type: ignore[arg-type]
    return extra is None or extra(text)

"""CWE names and default severities (for findings whose model gives a CWE but no severity).

Severities follow common SAST practice: injection and code execution critical or high,
information exposure and weak crypto medium, hygiene low.
"""

from __future__ import annotations

# CWE id -> (short name, default severity)
CWE_INFO: dict[str, tuple[str, str]] = {
    "CWE-20": ("Improper Input Validation", "medium"),
    "CWE-22": ("Path Traversal", "high"),
    "CWE-73": ("External Control of File Name or Path", "high"),
    "CWE-77": ("Command Injection", "critical"),
    "CWE-78": ("OS Command Injection", "critical"),
    "CWE-79": ("Cross-site Scripting", "high"),
    "CWE-89": ("SQL Injection", "critical"),
    "CWE-90": ("LDAP Injection", "high"),
    "CWE-91": ("XML Injection", "high"),
    "CWE-94": ("Code Injection", "critical"),
    "CWE-95": ("Eval Injection", "critical"),
    "CWE-117": ("Log Injection", "low"),
    "CWE-119": ("Buffer Overflow", "high"),
    "CWE-120": ("Classic Buffer Overflow", "high"),
    "CWE-121": ("Stack-based Buffer Overflow", "high"),
    "CWE-134": ("Format String", "high"),
    "CWE-190": ("Integer Overflow", "medium"),
    "CWE-200": ("Information Exposure", "medium"),
    "CWE-209": ("Error Message Information Exposure", "low"),
    "CWE-250": ("Execution with Unnecessary Privileges", "medium"),
    "CWE-259": ("Hard-coded Password", "high"),
    "CWE-276": ("Incorrect Default Permissions", "medium"),
    "CWE-287": ("Improper Authentication", "high"),
    "CWE-295": ("Improper Certificate Validation", "high"),
    "CWE-311": ("Missing Encryption", "medium"),
    "CWE-312": ("Cleartext Storage of Sensitive Information", "medium"),
    "CWE-319": ("Cleartext Transmission", "medium"),
    "CWE-326": ("Inadequate Encryption Strength", "medium"),
    "CWE-327": ("Broken or Risky Crypto Algorithm", "medium"),
    "CWE-328": ("Weak Hash", "medium"),
    "CWE-330": ("Insufficiently Random Values", "medium"),
    "CWE-338": ("Weak PRNG for Security", "medium"),
    "CWE-352": ("Cross-Site Request Forgery", "medium"),
    "CWE-377": ("Insecure Temporary File", "medium"),
    "CWE-400": ("Uncontrolled Resource Consumption", "medium"),
    "CWE-415": ("Double Free", "high"),
    "CWE-416": ("Use After Free", "high"),
    "CWE-434": ("Unrestricted File Upload", "high"),
    "CWE-476": ("NULL Pointer Dereference", "medium"),
    "CWE-489": ("Active Debug Code", "medium"),
    "CWE-502": ("Deserialization of Untrusted Data", "critical"),
    "CWE-522": ("Insufficiently Protected Credentials", "high"),
    "CWE-532": ("Sensitive Information in Log File", "medium"),
    "CWE-601": ("Open Redirect", "medium"),
    "CWE-611": ("XML External Entity", "high"),
    "CWE-614": ("Sensitive Cookie Without Secure Flag", "low"),
    "CWE-643": ("XPath Injection", "high"),
    "CWE-676": ("Use of Potentially Dangerous Function", "medium"),
    "CWE-732": ("Incorrect Permission Assignment", "medium"),
    "CWE-787": ("Out-of-bounds Write", "high"),
    "CWE-798": ("Hard-coded Credentials", "high"),
    "CWE-862": ("Missing Authorization", "high"),
    "CWE-915": ("Mass Assignment", "medium"),
    "CWE-918": ("Server-Side Request Forgery", "high"),
    "CWE-943": ("NoSQL Injection", "high"),
    "CWE-1321": ("Prototype Pollution", "high"),
    "CWE-1333": ("Regular Expression Denial of Service", "medium"),
}


def cwe_name(cwe: str | None) -> str | None:
    info = CWE_INFO.get(cwe or "")
    return info[0] if info else None


def cwe_severity(cwe: str | None, default: str = "medium") -> str:
    info = CWE_INFO.get(cwe or "")
    return info[1] if info else default


def cwe_url(cwe: str) -> str:
    return f"https://cwe.mitre.org/data/definitions/{cwe.removeprefix('CWE-')}.html"

"""The pairing one-liners a PCE generates for a key, and a cloud-init document around one.

They match what the PCE's own console shows (docs/pce-api.md, "Pairing scripts"): the Linux
script downloads ``pair.sh`` with curl and runs it; the Windows one first enables TLS 1.2 for
.NET (a Windows host whose default excludes it cannot download otherwise), then downloads and
runs ``pair.ps1`` with PowerShell.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

LINUX_DIR = "/opt/illumio_ven_data/tmp"
WINDOWS_TLS12 = (
    "Set-Variable -Name ErrorActionPreference -Value SilentlyContinue; "
    "[System.Net.ServicePointManager]::SecurityProtocol="
    "[Enum]::ToObject([System.Net.SecurityProtocolType], 3072); "
    "Set-Variable -Name ErrorActionPreference -Value Continue; "
)


def management_server(pce_host: str) -> str:
    """``host:port`` as a VEN's ``--management-server`` wants it."""
    parts = urlsplit(pce_host)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.hostname}:{port}"


def download_url(server: str, api_version: str, script: str, profile_id: str) -> str:
    """Where a VEN host downloads ``pair.sh``/``pair.ps1``. The PCE serves it under a
    versioned path whose ``api/vNN`` segment differs between releases (docs/pce-api.md,
    "Pairing scripts"): the key's ``script_api_version``."""
    return (
        f"https://{server}/api/{api_version}/software/ven/image"
        f"?pair_script={script}&profile_id={profile_id}"
    )


def linux_pairing_script(server: str, profile_id: str, code: str, api_version: str) -> str:
    url = download_url(server, api_version, "pair.sh", profile_id)
    return (
        f"rm -fr {LINUX_DIR} && umask 026 && mkdir -p {LINUX_DIR} && "
        f'curl --tlsv1 "{url}" -o {LINUX_DIR}/pair.sh && chmod +x {LINUX_DIR}/pair.sh && '
        f"{LINUX_DIR}/pair.sh --management-server {server} --activation-code {code}"
    )


def windows_commands(server: str, profile_id: str, code: str, api_version: str) -> str:
    """The PowerShell statements of the PCE's Windows one-liner, without its wrapper."""
    url = download_url(server, api_version, "pair.ps1", profile_id)
    return (
        f"{WINDOWS_TLS12}"
        "Set-ExecutionPolicy -Scope process remotesigned -Force; "
        "Start-Sleep -s 3; Set-Variable -Name ErrorActionPreference -Value stop; "
        f"(New-Object System.Net.WebClient).DownloadFile('{url}', "
        "(echo $env:windir\\temp\\pair.ps1)); "
        f"& $env:windir\\temp\\pair.ps1 -management-server {server} -activation-code {code};"
    )


def windows_pairing_script(commands: str) -> str:
    """The one-liner as the PCE's console shows it, for a command prompt."""
    return f'PowerShell -Command "& {{{commands}}}"'


def windows_user_data(commands: str) -> str:
    """Windows user data that pairs at first boot: a ``<powershell>`` block, which EC2's
    launch agents and cloudbase-init ("EC2 format") both run (docs/pce-api.md)."""
    return f"<powershell>\n{commands}\n</powershell>\n"


def cloud_init(linux_script: str) -> str:
    """A complete ``#cloud-config`` user-data document that pairs the VM at first boot.

    The command is a JSON string, which YAML reads as a double-quoted scalar: no escaping
    surprises whatever the host name holds.
    """
    return f"#cloud-config\nruncmd:\n  - {json.dumps(linux_script)}\n"

"""`aegis doctor`: what this machine offers (GPUs, versions, packages, secrets set)."""

from __future__ import annotations

import typer

from aegis_cli.cli.common import handle_errors


def _na(value, fmt="{}") -> str:
    return "N/A" if value is None else fmt.format(value)


@handle_errors
def doctor(json_out: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Show versions, GPUs (NVML), MPS, CPU/RAM, optional packages, HF cache, secrets (set or not)."""
    import json

    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from aegis_cli.doctor import collect

    info = collect()
    if json_out:
        typer.echo(json.dumps(info, indent=2, default=str))
        return
    console = Console(highlight=False)
    console.print(Text(f"aegis {info['aegis']}", style="bold"))
    t = Table(show_header=False, box=None, pad_edge=False)
    t.add_column(style="bold")
    t.add_column()
    py = info["python"]
    t.add_row("python", f"{py['version']} ({py['executable']})")
    t.add_row("platform", py["platform"])
    for name, version in info["packages"].items():
        t.add_row(name, version or "not installed")
    torch = info["torch"]
    if torch.get("version"):
        t.add_row("torch build", f"CUDA {torch.get('cuda_build') or 'none (CPU build)'}; "
                  f"CUDA available: {'yes' if torch.get('cuda') else 'no'}; "
                  f"MPS available: {'yes' if torch.get('mps') else 'no'}")
    cpu = info["cpu"]
    t.add_row("cpu", f"{cpu['processor']}: {cpu['logical_cores']} logical / {_na(cpu['physical_cores'])} physical cores")
    t.add_row("ram", f"{_na(cpu['ram_total_mb'], '{:,.0f}')} MB total, {_na(cpu['ram_available_mb'], '{:,.0f}')} MB available")
    console.print(t)

    gpus = info["gpus"]
    if not gpus["available"]:
        console.print(Text(f"GPUs: none found by NVML ({gpus['reason']})", style="dim"))
    else:
        g = Table(title=f"GPUs (NVML; driver {gpus['devices'][0]['driver'] if gpus['devices'] else 'N/A'}, CUDA {gpus.get('cuda_driver') or 'N/A'})")
        for col in ("NVML", "CUDA", "name", "uuid", "memory MB", "power limit W", "energy counter"):
            g.add_column(col)
        for d in gpus["devices"]:
            g.add_row(str(d["index"]), _na(d["cuda_index"]), d["name"] or "N/A", d["uuid"] or "N/A",
                      _na(d["memory_total_mb"], "{:,.0f}"), _na(d["power_limit_w"], "{:.0f}"),
                      "supported" if d["energy_counter"] else "not supported (energy will be estimated)")
        console.print(g)

    o = Table(show_header=False, box=None, pad_edge=False, title="optional packages", title_justify="left")
    o.add_column(style="bold")
    o.add_column()
    for name, res in info["optional"].items():
        o.add_row(name, Text(f"imports ({res['version'] or 'version unknown'})", style="green") if res["ok"]
                  else Text(f"does not import: {res['error']}", style="yellow"))
    console.print(o)
    hf = info["hf"]
    console.print(f"HF cache: {hf['cache_dir']} ({'exists' if hf['cache_exists'] else 'missing'}); "
                  f"offline: {'yes' if hf['offline'] else 'no'}")
    console.print("secrets: " + ", ".join(f"{k} {'set' if v else 'not set'}" for k, v in info["secrets"].items()))


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor)

"""Place units (a variant + a flow) and ordinary code into one file of one language."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from aegis_cli.mini.engine import (
    Bag,
    FileParts,
    Framework,
    Kit,
    Sanitizer,
    Source,
    Spec,
    Variant,
    bind_markers,
    extract_findings,
    fill,
)
from aegis_cli.mini.vocab import Namer

# placement: "inline" (the sink in the request handler) or "helper" (in a function the handler calls)
# treatment: "raw", "transform" (harmless rewrite), "sanitized" (safe) or "wrongvar" (sanitizer misapplied)


@dataclass
class UnitPlan:
    spec: Spec
    variant: Variant
    placement: str = "inline"
    treatment: str = "raw"
    sanitizer: Sanitizer | None = None

    @property
    def vulnerable(self) -> bool:
        return not self.variant.safe and self.treatment != "sanitized"

    def describe(self) -> dict:
        return {"template": self.variant.key, "cwe": self.variant.cwe, "vulnerable": self.vulnerable,
                "flow": f"{self.placement}/{self.treatment}",
                "sanitizer": self.sanitizer.key if self.sanitizer else None}


@dataclass
class FilePlan:
    kit: Kit
    framework: Framework
    units: list[UnitPlan]
    target_lines: int
    module_fillers: list  # Filler records, in the order they may be used
    stmt_fillers: list
    background_blocks: list[tuple[str, str]] = field(default_factory=list)  # (origin, code)
    used: dict = field(default_factory=lambda: {"fillers": [], "background": []})  # what compose actually used


class _UnitBuilder:
    def __init__(self, kit: Kit, fw: Framework, parts: FileParts, file_bag: Bag, rng: random.Random,
                 stmt_fillers: list, used: list[str]):
        self.kit, self.fw, self.parts, self.file_bag, self.rng = kit, fw, parts, file_bag, rng
        self.namer: Namer = file_bag.namer
        self.stmt_fillers = stmt_fillers
        self.used = used

    # helpers -------------------------------------------------------------------------------
    def _bail_values(self, where: str) -> dict[str, str]:
        if where == "handler":
            return {"bail": self.fw.bail, "bail_err": self.fw.bail_err or self.fw.bail}
        return {"bail": self.kit.helper_bail, "bail_err": self.kit.helper_bail_err or self.kit.helper_bail}

    def _filler_stmt(self, bag: Bag) -> list[str]:
        if not self.stmt_fillers or self.rng.random() < 0.55:
            return []
        filler = self.rng.choice(self.stmt_fillers)
        self.used.append(filler.key)
        for imp in filler.imports:
            self.parts.add_import(fill(imp, self.file_bag))
        for decl in filler.decls:
            self.parts.add_decl(fill(decl, self.file_bag))
        # fresh names: a filler must never reuse a name the unit drew (no redeclarations)
        return [fill(filler.code, self.file_bag.child())]

    def _source(self, src: Source, var: str, bag: Bag, params: list[str], route: list[str]) -> list[str]:
        sb = bag.child(v=var)
        if src.route:
            route.append(fill(src.route, sb))
        if src.param:
            params.append(fill(src.param, sb))
            return []
        if src.stmt:
            return [fill(src.stmt, sb)]
        return [self.kit.assign(var, fill(src.expr, sb))]

    def _treat(self, plan: UnitPlan, var: str, where: str, bag: Bag) -> tuple[list[str], str]:
        """Statements between the input ``var`` and the sink, and the variable the sink uses."""
        kit, rng = self.kit, self.rng
        tb = bag.child(**self._bail_values(where))
        if plan.treatment == "transform":
            out = self.namer.var()
            return [fill(rng.choice(kit.transforms), tb.child(**{"in": var, "out": out}))], out
        san = plan.sanitizer
        if plan.treatment == "sanitized" and san is not None:
            if san.guard:
                return [fill(san.code, tb.child(**{"in": var}))], var
            out = self.namer.var()
            return [fill(san.code, tb.child(**{"in": var, "out": out}))], out
        if plan.treatment == "wrongvar" and san is not None:
            # The raw input reaches the sink; the sanitised copy is made and used elsewhere.
            out = self.namer.var()
            stmts = [fill(san.code, tb.child(**{"in": var, "out": out}))]
            stmts.append(fill(rng.choice(kit.neutral_uses), tb.child(var=out)))
            return stmts, var
        return [], var

    # the unit ----------------------------------------------------------------------------
    def build(self, plan: UnitPlan) -> list[str]:
        kit, fw, rng, namer = self.kit, self.fw, self.rng, self.namer
        variant = plan.variant
        for imp in variant.imports:
            self.parts.add_import(fill(imp, self.file_bag))
        for decl in variant.decls:
            self.parts.add_decl(fill(decl, self.file_bag))
        bag = self.file_bag.child()
        if plan.sanitizer:
            for imp in plan.sanitizer.imports:
                self.parts.add_import(fill(imp, self.file_bag))

        def sink_code(var: str, where: str) -> str:
            sb = bag.child(v=var, **self._bail_values(where))
            code = fill(variant.code, sb)
            # names the sink drew (tables, helper names …) stay visible to the variant's block
            bag.values.update({k: v for k, v in sb.values.items() if k not in ("v", "bail", "bail_err")})
            return bind_markers(code, variant.cwe, plan.vulnerable)

        if variant.kind == "module":
            return [sink_code(namer.var(), "helper")]

        handler_fn = namer.func()
        route = [namer.route()]
        params: list[str] = [fill(p, bag) for p in fw.base_params]
        body: list[str] = self._filler_stmt(bag)
        v = namer.var()
        body += self._source(rng.choice(fw.sources), v, bag, params, route)
        blocks: list[str] = []
        helper_block = ""
        if plan.treatment == "wrongvar" and plan.sanitizer and (plan.sanitizer.guard or rng.random() < 0.5):
            # Sanitise a second input, then pass the first, unsanitised one to the sink.
            w = namer.var()
            body += self._source(rng.choice(fw.sources), w, bag, params, route)
            hb = bag.child(**self._bail_values("handler"))
            if plan.sanitizer.guard:
                body.append(fill(plan.sanitizer.code, hb.child(**{"in": w})))
            else:
                w2 = namer.var()
                body.append(fill(plan.sanitizer.code, hb.child(**{"in": w, "out": w2})))
                body.append(fill(rng.choice(kit.neutral_uses), hb.child(var=w2)))
            plan_treat = UnitPlan(plan.spec, variant, plan.placement, "raw")
        else:
            plan_treat = plan
        body += self._filler_stmt(bag)
        if plan.placement == "helper":
            helper_fn = namer.func()
            # Where the transform/sanitiser sits: before the call, or first thing in the helper.
            treat_in_handler = rng.random() < 0.5
            if treat_in_handler:
                pre, out = self._treat(plan_treat, v, "handler", bag)
                body += pre
                p = out if rng.random() < 0.3 else namer.var()
                helper_body = [*self._filler_stmt(bag), sink_code(p, "helper")]
                arg = out
            else:
                p = v if rng.random() < 0.3 else namer.var()
                pre, out = self._treat(plan_treat, p, "helper", bag)
                helper_body = [*self._filler_stmt(bag), *pre, sink_code(out, "helper")]
                arg = v
            body.append(fill(kit.call(helper_fn, [arg], bag), bag.child(**self._bail_values("handler"))))
            helper_block = kit.finish_block(kit.helper(helper_fn, [p], "\n".join(helper_body), bag))
        else:
            pre, out = self._treat(plan_treat, v, "handler", bag)
            body += pre
            body.append(sink_code(out, "handler"))
        if not variant.terminal:
            body += self._filler_stmt(bag)
            body.append(fill(rng.choice(fw.responses), bag.child(**self._bail_values("handler"))))
        if plan.placement == "inline":
            params += [fill(p, bag) for p in variant.params]
        method = rng.choice(("GET", "GET", "POST"))
        hb = bag.child(fn=handler_fn, route="".join(route), route_rel="".join(route).lstrip("/"),
                       params=", ".join(kit.order_params(params)),
                       body="\n".join(s for s in body if s), method=method, method_l=method.lower(),
                       method_cap=method.capitalize(),
                       **self._bail_values("handler"))
        handler_block = kit.finish_block(fill(rng.choice((fw.handler, *fw.alt_handlers)), hb))
        self.parts.handlers.append((handler_fn, "".join(route), method))
        if variant.block:
            blocks.append(bind_markers(fill(variant.block, bag), variant.cwe, plan.vulnerable))
        if helper_block:
            blocks.append(helper_block)
        if rng.random() < 0.5:
            blocks.append(handler_block)
        else:
            blocks.insert(0, handler_block)
        return blocks


def _declare_file_slots(kit: Kit, parts: FileParts, file_bag: Bag) -> None:
    """Declare every file-wide name the units used (a logger, a connection …), once, first."""
    order = list(kit.slot_decls)
    made: dict[str, str] = {}
    changed = True
    while changed:
        changed = False
        for slot in order:
            if slot not in made and slot in file_bag.values:
                made[slot] = fill(kit.slot_decls[slot], file_bag)
                changed = True
    first = [made[s] for s in order if s in made]
    parts.decls = first + [d for d in parts.decls if d not in first]


def count_lines(blocks: list[str]) -> int:
    return sum(b.count("\n") + 2 for b in blocks)


def compose(plan: FilePlan, namer: Namer, rng: random.Random) -> tuple[str, str, list[dict], list[str], list[list[int]]]:
    """Build the file and its exact labels; returns (path, text, findings, sink texts, sink spans)."""
    kit, fw = plan.kit, plan.framework
    parts = FileParts()
    file_bag = Bag(namer, {"framework": fw.name}, file_slots=kit.file_slot_makers(rng))
    for imp in fw.imports:
        parts.add_import(fill(imp, file_bag))
    for decl in fw.decls:
        parts.add_decl(fill(decl, file_bag))
    builder = _UnitBuilder(kit, fw, parts, file_bag, rng, plan.stmt_fillers, plan.used["fillers"])
    groups: list[list[str]] = [builder.build(u) for u in plan.units]
    size = count_lines([b for g in groups for b in g]) + len(parts.imports) + len(parts.decls) + 6
    extra: list[list[str]] = []
    for origin, code in plan.background_blocks:
        if size >= plan.target_lines:
            break
        extra.append([code])
        plan.used["background"].append(origin)
        size += code.count("\n") + 2
    for filler in plan.module_fillers:
        if size >= plan.target_lines:
            break
        for imp in filler.imports:
            parts.add_import(fill(imp, file_bag))
        for decl in filler.decls:
            parts.add_decl(fill(decl, file_bag))
        code = fill(filler.code, file_bag.child())
        plan.used["fillers"].append(filler.key)
        extra.append([code])
        size += code.count("\n") + 2
    # Ordinary code goes before, between and after the units, in a seeded order.
    for group in extra:
        groups.insert(rng.randint(0, len(groups)), group)
    parts.blocks = [b for g in groups for b in g]
    _declare_file_slots(kit, parts, file_bag)
    text = kit.render(parts, fw, file_bag, rng)
    text = kit.restyle(text, rng)
    text = "\n".join(line.rstrip() for line in text.split("\n")).strip("\n") + "\n"
    clean, findings, sinks, spans = extract_findings(text)
    return kit.path(rng, namer, fw, file_bag), clean, findings, sinks, spans

"""Plain data models: nothing dangerous here."""

from dataclasses import dataclass, field


@dataclass
class Item:
    sku: str
    price_cents: int
    quantity: int = 1

    @property
    def total(self) -> int:
        return self.price_cents * self.quantity


@dataclass
class Order:
    customer: str
    items: list[Item] = field(default_factory=list)

    def total(self) -> int:
        return sum(item.total for item in self.items)

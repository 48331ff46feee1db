import sqlite3


def monthly_totals(db_path, month):
    """Sum the order totals of one month."""
    conn = sqlite3.connect(db_path)
    try:
        cur = conn.cursor()
        cur.execute("SELECT SUM(total) FROM orders WHERE month = ?", (month,))
        (total,) = cur.fetchone()
        return total or 0
    finally:
        conn.close()


def format_total(total):
    return f"{total:,.2f} EUR"

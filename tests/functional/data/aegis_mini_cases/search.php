<?php
$conn = mysqli_connect("localhost", "shop", getenv("DB_PASSWORD"), "shop");
$term = $_GET['q'];
$result = mysqli_query($conn, "SELECT * FROM products WHERE name LIKE '%" . $term . "%'");
while ($row = mysqli_fetch_assoc($result)) {
    echo htmlspecialchars($row['name']);
}

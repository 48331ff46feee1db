<?php
require 'db.php';

$term = $_GET['term'];
$result = mysqli_query($conn, "SELECT name, price FROM products WHERE name LIKE '%" . $term . "%'");

echo "<p>You searched for " . $_GET['term'] . "</p>";
while ($row = mysqli_fetch_assoc($result)) {
    echo "<li>" . htmlspecialchars($row['name']) . "</li>";
}

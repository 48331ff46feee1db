import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

public class UserDao {
    private final Connection connection;

    public UserDao(Connection connection) {
        this.connection = connection;
    }

    public ResultSet findByName(String name) throws SQLException {
        Statement stmt = connection.createStatement();
        String query = "SELECT * FROM users WHERE name = '" + name + "'";
        return stmt.executeQuery(query);
    }
}

-- A login is one INSERT into login_records; the user's and the registration's last login and
-- the reset of counted failures follow from it here, in the same statement's transaction,
-- instead of four round trips from the server.
CREATE TRIGGER login_records_after_insert AFTER INSERT ON login_records
BEGIN
    UPDATE users SET last_login_instant = NEW.instant, last_login_ip = NEW.ip_address
        WHERE id = NEW.user_id;
    UPDATE registrations SET last_login_instant = NEW.instant
        WHERE user_id = NEW.user_id AND application_id = NEW.application_id;
    DELETE FROM failed_logins WHERE user_id = NEW.user_id;
END;

-- The tables a finance package keeps its receivables in, as the example reads them (MySQL / MariaDB).
-- Amounts are DECIMAL (read as exact decimal strings); a DATE is read as its YYYY-MM-DD text.
-- updated_at must change on every change of a row (ON UPDATE, or set by the package).

CREATE TABLE ar_customers (
  id            BIGINT AUTO_INCREMENT PRIMARY KEY,
  customer_code VARCHAR(32)  NOT NULL UNIQUE,          -- the debtor number: the hub's customer code
  name          VARCHAR(200) NOT NULL,
  currency      CHAR(3),
  updated_at    DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  INDEX (updated_at, id)
);

CREATE TABLE ar_open_items (
  id            BIGINT AUTO_INCREMENT PRIMARY KEY,
  document_no   VARCHAR(32)   NOT NULL UNIQUE,         -- invoice or credit note number
  customer_code VARCHAR(32)   NOT NULL,
  document_date DATE          NOT NULL,
  due_date      DATE          NOT NULL,
  currency      CHAR(3)       NOT NULL,
  amount        DECIMAL(18,2) NOT NULL,                -- negative for a credit note
  open_amount   DECIMAL(18,2) NOT NULL,                -- what is still open; 0.00 once cleared (keep the row)
  is_cancelled  TINYINT(1)    NOT NULL DEFAULT 0,      -- a reversed (cancelled) document
  updated_at    DATETIME(3)   NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  INDEX (updated_at, id)
);

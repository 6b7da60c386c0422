-- A real editor as herald lsp's client: Neovim's built-in LSP client (0.7 and later), headless.
-- Driven by cli/tests/it/nvim.rs through the environment: HERALD_BIN (the herald binary),
-- HERALD_REPO (a schema repo), HERALD_NVIM_OUT (where the answers go, as one JSON object).
local out = {}

local function finish()
  vim.fn.writefile({ vim.fn.json_encode(out) }, os.getenv("HERALD_NVIM_OUT"))
  vim.cmd("qa!")
end

local ok, err = pcall(function()
  local root = os.getenv("HERALD_REPO")
  local client_id = vim.lsp.start_client({
    name = "herald",
    cmd = { os.getenv("HERALD_BIN"), "lsp" },
    root_dir = root,
  })
  if not client_id then
    error("the client did not start")
  end

  local function open(rel)
    vim.cmd("edit " .. vim.fn.fnameescape(root .. "/" .. rel))
    local buf = vim.api.nvim_get_current_buf()
    vim.lsp.buf_attach_client(buf, client_id)
    return buf
  end

  -- 0-based line and column of the first occurrence of `needle` (the files are ASCII, so bytes
  -- and UTF-16 code units agree).
  local function find(buf, needle)
    for i, line in ipairs(vim.api.nvim_buf_get_lines(buf, 0, -1, false)) do
      local c = line:find(needle, 1, true)
      if c then
        return i - 1, c - 1
      end
    end
    error("not in the buffer: " .. needle)
  end

  local function request(buf, method, needle)
    local line, col = find(buf, needle)
    local params = {
      textDocument = { uri = vim.uri_from_bufnr(buf) },
      position = { line = line, character = col + 1 },
    }
    local responses = vim.lsp.buf_request_sync(buf, method, params, 20000)
    if not responses then
      error(method .. ": no answer")
    end
    for _, r in pairs(responses) do
      if r.err then
        error(method .. ": " .. vim.inspect(r.err))
      end
      return r.result
    end
    error(method .. ": an empty answer")
  end

  local function hover_text(result)
    if result == nil then
      return ""
    end
    local contents = result.contents
    if type(contents) == "string" then
      return contents
    end
    if contents.value then
      return contents.value
    end
    local parts = {}
    for _, c in ipairs(contents) do
      table.insert(parts, type(c) == "string" and c or c.value)
    end
    return table.concat(parts, "\n")
  end

  local function location(result)
    if result == nil then
      return nil
    end
    local l = result[1] or result
    return { uri = l.uri or l.targetUri, line = (l.range or l.targetSelectionRange).start.line }
  end

  local function diagnostics(buf)
    local list = {}
    for _, d in ipairs(vim.diagnostic.get(buf)) do
      local lsp = d.user_data and d.user_data.lsp or {}
      table.insert(list, { line = d.lnum, message = d.message, code = d.code or lsp.code })
    end
    return list
  end

  local function wait_for_diagnostic(buf, needle)
    return vim.wait(30000, function()
      for _, d in ipairs(vim.diagnostic.get(buf)) do
        if d.message:find(needle, 1, true) then
          return true
        end
      end
      return false
    end, 50)
  end

  -- A .proto file: an edit that breaks a style rule, then hover and definition.
  local proto = open("user/v1/user_created.proto")
  vim.api.nvim_buf_set_lines(proto, -1, -1, false, { "message bad_name {}" })
  out.proto_diagnostic_seen = wait_for_diagnostic(proto, "bad_name")
  out.proto_diagnostics = diagnostics(proto)
  out.proto_hover = hover_text(request(proto, "textDocument/hover", "UserCreated {"))
  out.proto_definition = location(request(proto, "textDocument/definition", "Money starting_balance"))

  -- An .avsc file naming a record of another file.
  local avsc = open("accounting/ledger.avsc")
  out.avsc_hover = hover_text(request(avsc, "textDocument/hover", "acme.accounting.AccountHolder"))
  out.avsc_definition = location(request(avsc, "textDocument/definition", "acme.accounting.AccountHolder"))

  vim.lsp.stop_client(client_id)
end)

if not ok then
  out.error = tostring(err)
end
finish()

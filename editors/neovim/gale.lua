-- Gale (Mistral Workflow Language v2) for Neovim: filetype detection, YAML highlighting
-- for the `mistral` filetype, and the `gale lsp` language server.
-- Neovim >= 0.11 (vim.lsp.config / vim.lsp.enable). See README.md for 0.10 and lspconfig.

-- Does this buffer look like a Mistral v2 definition? (same rule as the VS Code extension:
-- a top-level `version: '2.0'`, an indented `tasks:` or top-level `workflows:`/`actions:`,
-- and not Docker Compose's `services:`)
local function looks_like_mistral(bufnr)
  local version, mistral_key = false, false
  for _, line in ipairs(vim.api.nvim_buf_get_lines(bufnr, 0, 400, false)) do
    if line:match("^version%s*:%s*['\"]?2%.0['\"]?%s*$") or line:match("^version%s*:%s*['\"]?2%.0['\"]?%s+#") then
      version = true
    elseif line:match('^workflows%s*:') or line:match('^actions%s*:') or line:match('^%s+tasks%s*:%s*$')
      or line:match('^%s+tasks%s*:%s+#') then
      mistral_key = true
    elseif line:match('^services%s*:') or line:match('^volumes%s*:') or line:match('^networks%s*:') then
      return false
    end
  end
  return version and mistral_key
end

vim.filetype.add({
  extension = { mistral = 'mistral' },
  pattern = {
    ['.*%.mistral%.ya?ml'] = 'mistral',
    -- Content check for other YAML files; returning nil falls through to `yaml`.
    -- (Non-negative priority: negative-priority patterns are tried after extensions.)
    ['.*%.ya?ml'] = function(_, bufnr)
      if looks_like_mistral(bufnr) then
        return 'mistral'
      end
    end,
  },
})

-- Highlight `mistral` buffers with the YAML tree-sitter parser (or Vim's YAML syntax).
vim.treesitter.language.register('yaml', 'mistral')
vim.api.nvim_create_autocmd('FileType', {
  pattern = 'mistral',
  callback = function(args)
    vim.bo[args.buf].commentstring = '# %s'
    vim.bo[args.buf].shiftwidth = 2
    vim.bo[args.buf].expandtab = true
    if not pcall(vim.treesitter.start, args.buf, 'yaml') then
      vim.bo[args.buf].syntax = 'yaml'
    end
  end,
})

vim.lsp.config('gale', {
  cmd = { 'gale', 'lsp' }, -- or an absolute path, e.g. { vim.fn.expand('~/.cargo/bin/gale'), 'lsp' }
  filetypes = { 'mistral' },
  root_markers = { '.git' },
})
vim.lsp.enable('gale')

# `make docs`: the LDoc reference from config.ld into doc/ (doc/index.html).
# Debian's ldoc script picks Lua 5.1 itself (lua-any); lua-discount, its
# Markdown formatter, exists for 5.1 and 5.2 only. Warnings fail the build: a
# parameter named in a comment that the code does not have is a wrong doc.
# spec/docs_spec.lua runs the same build inside `make test`.

LDOC ?= ldoc

.PHONY: docs

docs:
	@sh tools/deps.sh
	$(LDOC) --fatalwarnings .

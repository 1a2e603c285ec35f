"""Server-rendered assistance pages. Thin: parse input, call one selector or service, render."""

#!/usr/bin/env node
import '../dist/cli/ports.js';

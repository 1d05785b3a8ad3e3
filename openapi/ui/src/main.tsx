import { render } from 'preact';
import { App } from './app.js';
import { locale } from './i18n.js';
import './style.css';

document.documentElement.lang = locale.get();
const root = document.getElementById('app');
if (root) render(<App />, root);

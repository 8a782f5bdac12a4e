import './base.css';
import './audit.css';
